import { normalizeText } from "./clean-text.js";
import { decodeText } from "./decode-text.js";
import type { LoadedDocument } from "./types.js";

/** A plain-text file: one section, titled by its file name. */
export function loadText(bytes: Uint8Array, name: string): LoadedDocument {
  const text = normalizeText(decodeText(bytes)).trim();
  return { format: "text", title: name, sections: text ? [{ text }] : [] };
}
