import { LoadError } from "./load-error.js";

const HAN = /\p{Script=Han}/u;
/** Control characters that do not occur in text (binary files decode "successfully" as GB18030). */
const BINARY = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/;

/**
 * Decodes a text file's bytes: a BOM decides UTF-8 / UTF-16LE / UTF-16BE; otherwise
 * strict UTF-8, then an encoding the file itself declares (`declared`, e.g. an HTML
 * `<meta charset>`), then GB18030 (a superset of GBK and GB2312, the usual encodings
 * of Chinese files saved on Windows). GB18030 decodes most byte soup without error, so
 * its result is kept only when it looks like Chinese text: some Han characters, no
 * replacement characters, no binary control characters.
 */
export function decodeText(bytes: Uint8Array, declared?: string): string {
  const bom = detectBom(bytes);
  if (bom) {
    const text = tryDecode(bom.encoding, bytes.subarray(bom.length));
    if (text === undefined) throw undecodable(`invalid ${bom.encoding.toUpperCase()} after its byte-order mark`);
    return text;
  }
  const utf8 = tryDecode("utf-8", bytes);
  if (utf8 !== undefined) return utf8;
  if (declared) {
    const text = tryDecode(declared, bytes);
    if (text !== undefined) return text;
  }
  const chinese = tryDecode("gb18030", bytes);
  if (chinese !== undefined && HAN.test(chinese) && !chinese.includes("\ufffd") && !BINARY.test(chinese)) {
    return chinese;
  }
  throw undecodable("not UTF-8, UTF-16 or GBK/GB18030");
}

function detectBom(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  const [a, b, c] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: "utf-8", length: 3 };
  if (a === 0xff && b === 0xfe) return { encoding: "utf-16le", length: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: "utf-16be", length: 2 };
  return undefined;
}

/** `ignoreBOM` because the BOM, if any, was already cut off (and a second one is text). */
function tryDecode(encoding: string, bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // RangeError: an encoding this runtime does not know; TypeError: invalid bytes.
    return undefined;
  }
}

function undecodable(why: string): LoadError {
  return new LoadError("undecodable", `could not decode text: ${why}`);
}
