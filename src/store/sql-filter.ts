/**
 * Builders for the SQL filter strings LanceDB takes (`where`, `delete`, merge conditions).
 * Every user-supplied value goes through `sqlString`; nothing is interpolated raw.
 */

/**
 * A SQL string literal: single quotes are doubled. LanceDB parses filters with
 * DataFusion's generic dialect, where a backslash is an ordinary character, so
 * doubling quotes is the whole escape (checked with LanceDB 0.37.1).
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `column = 'value'`; `column` must be a trusted identifier. */
export function sqlEquals(column: string, value: string): string {
  return `${column} = ${sqlString(value)}`;
}

/** `column IN ('a', 'b')`; `values` must not be empty. */
export function sqlIn(column: string, values: readonly string[]): string {
  if (values.length === 0) throw new RangeError(`sqlIn(${column}) needs at least one value`);
  return `${column} IN (${values.map(sqlString).join(", ")})`;
}
