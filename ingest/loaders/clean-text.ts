/**
 * Text clean-up shared by the loaders and the chunker. Pure string functions:
 * no runtime APIs, so they run unchanged on Node and Cloudflare Workers.
 */

/** Han ideographs, kana, CJK punctuation and full-width forms: scripts written without spaces. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]/u;

export function isCjk(char: string): boolean {
  return CJK.test(char);
}

/**
 * Normalisation every loader applies: BOM and NUL bytes removed, CRLF/CR -> LF,
 * form feeds become paragraph breaks, and other C0/C1 control characters (pdf.js
 * emits stray U+0003 for some fonts) are dropped. Tabs and newlines stay.
 */
export function normalizeText(text: string): string {
  return text
    .replace(/^\ufeff/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\f/g, "\n\n")
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/g, "");
}

/**
 * Undoes pdf.js layout artefacts, keeping paragraph breaks (blank lines):
 * - `infor-\nmation` -> `information` (a hyphen or soft hyphen at a line end before a lower-case letter);
 * - a single newline inside a paragraph -> a space, or nothing between two CJK characters
 *   (Chinese wraps anywhere; a space there would be an error in the text);
 * - runs of spaces/tabs folded to one; three or more newlines folded to a blank line.
 * Idempotent, so the chunker may apply it again to text a loader already cleaned.
 */
export function cleanPdfText(text: string): string {
  return normalizeText(text)
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/(\p{L})[-\u00ad]\n(?=\p{Ll})/gu, "$1")
    .replace(/\u00ad/g, "")
    .replace(/([^\n])\n(?=([^\n]))/gu, (_match, before: string, after: string) => (isCjk(before) && isCjk(after) ? before : `${before} `))
    .trim();
}
