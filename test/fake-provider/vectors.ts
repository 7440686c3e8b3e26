import { bigrams, terms } from "./lexical.js";

/**
 * Deterministic fake embeddings: feature hashing of unigrams and bigrams into
 * signed buckets, L2-normalised. Texts that share words (or CJK characters) share
 * buckets, so cosine similarity tracks lexical overlap and retrieval tests behave
 * sensibly. Computed from the text alone: the same in every process and for every
 * model, which lets tests seed a store without HTTP.
 */

export const FAKE_DIMENSIONS = 1024;

// e5 expects callers to prefix "query: " / "passage: " on servers that ignore
// input_type (vLLM); stripping it makes both routes yield the same vector.
const ROLE_PREFIX = /^\s*(?:query|passage):\s*/i;

const BIGRAM_WEIGHT = 0.7;

/** FNV-1a, 32 bit: tiny, fast and stable across platforms. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  // Low bits choose the bucket, the top bit the sign, so collisions cancel on average.
  const bucket = h % FAKE_DIMENSIONS;
  vector[bucket]! += h & 0x80000000 ? -weight : weight;
}

export function fakeEmbedding(text: string): number[] {
  const list = terms(text.replace(ROLE_PREFIX, ""));
  const vector = new Float64Array(FAKE_DIMENSIONS);
  for (const t of list) addFeature(vector, `u:${t.text}`, 1);
  for (const b of bigrams(list)) addFeature(vector, `b:${b}`, BIGRAM_WEIGHT);
  let norm = Math.hypot(...vector);
  if (norm === 0) {
    // Empty or punctuation-only text still gets a valid unit vector.
    addFeature(vector, "empty", 1);
    norm = 1;
  }
  // Rounded to float32 so the "float" and "base64" encodings carry identical values.
  return Array.from(vector, (x) => Math.fround(x / norm));
}

/** `encoding_format: "base64"`: little-endian float32, as OpenAI-compatible servers send it. */
export function toBase64(vector: number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return Buffer.from(view.buffer).toString("base64");
}

export function fromBase64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
