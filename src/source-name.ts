/**
 * Names as askdocs stores and shows them: control characters and bidirectional
 * overrides removed (U+202E would make `evil\u202Egpj.md` display as `evildm.jpg`), and a
 * name too long for a file system shortened in its stem so that it keeps its extension.
 * Runtime-agnostic: used for upload names and for the relative sources of the ingest command.
 */
export const MAX_NAME_LENGTH = 255;

// C0/C1 controls (line feeds included), bidi marks, embeddings, overrides and isolates.
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** One path segment (a file or folder name), cleaned and at most MAX_NAME_LENGTH characters. */
export function cleanName(name: string): string {
  const clean = name.normalize("NFC").replace(UNSAFE, "").trim();
  const chars = [...clean];
  if (chars.length <= MAX_NAME_LENGTH) return clean;
  const dot = clean.lastIndexOf(".");
  // An extension is a short tail after the last dot; a dot deep inside a long name is not one.
  const ext = dot > 0 && clean.length - dot <= 16 ? [...clean.slice(dot)] : [];
  return [...chars.slice(0, MAX_NAME_LENGTH - ext.length), ...ext].join("");
}

/** The last segment of an uploaded file name (browsers may send a path), cleaned. */
export function uploadName(name: string): string {
  return cleanName(name.split(/[\\/]/).pop() ?? "");
}

/** A relative path with every segment cleaned, forward slashes. */
export function cleanRelativePath(relative: string): string {
  return relative
    .split(/[\\/]/)
    .map(cleanName)
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}
