import type { Context } from "hono";
import type { z } from "zod";
import { InvalidRequestError } from "../errors.js";

/**
 * zod at the HTTP boundary: a request that breaks the schema is a 400 whose details
 * name each field (`{"path":"top_k","message":…}`).
 */
function invalid(where: string, error: z.ZodError): InvalidRequestError {
  const details = error.issues.flatMap((issue) =>
    // An unknown field is named by its own path, not its parent's.
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => ({ path: [...issue.path, key].join("."), message: "unknown field" })) : [{ path: issue.path.join(".") || where, message: issue.message }],
  );
  const first = details[0]!;
  return new InvalidRequestError(`Invalid ${where}: ${first.path}: ${first.message}`, details);
}

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new InvalidRequestError("The request body must be JSON (Content-Type: application/json).", [{ path: "body", message: "not valid JSON" }]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalid("body", parsed.error);
  return parsed.data;
}

export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid("query", parsed.error);
  return parsed.data;
}

export function pathParams<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw invalid("path", parsed.error);
  return parsed.data;
}
