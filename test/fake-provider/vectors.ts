/**
 * Deterministic fake embeddings: feature hashing of content-word unigrams, bigrams
 * and (for Latin words) character trigrams into signed buckets, with sublinear term
 * frequency, L2-normalised. Texts that share words (or CJK characters) share buckets,
 * and "tide"/"tides" share trigrams, so cosine similarity tracks a fuzzy lexical
 * overlap: a stand-in for a semantic model that does not merely repeat BM25. Computed
 * from the text alone: the same in every process and for every model, which lets
 * tests seed a store without HTTP.
 */
import { bigrams, isStopword, terms } from "./lexical.js";

export const FAKE_DIMENSIONS = 1024;

// e5 expects callers to prefix "query: " / "passage: " on servers that ignore
// input_type (vLLM); stripping it makes both routes yield the same vector.
const ROLE_PREFIX = /^\s*(?:query|passage):\s*/i;

const BIGRAM_WEIGHT = 0.7;
const TRIGRAM_WEIGHT = 0.25;

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
  const all = terms(text.replace(ROLE_PREFIX, ""));
  // Function words say little about meaning; a text of nothing else keeps them.
  const content = all.filter((t) => !isStopword(t.text));
  const list = content.length > 0 ? content : all;
  const counts = new Map<string, number>();
  const count = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  for (const t of list) {
    count(`u:${t.text}`, 1);
    if (!t.cjk && t.text.length > 3) for (let i = 0; i + 3 <= t.text.length; i++) count(`t:${t.text.slice(i, i + 3)}`, TRIGRAM_WEIGHT);
  }
  for (const b of bigrams(list)) count(`b:${b}`, BIGRAM_WEIGHT);
  const vector = new Float64Array(FAKE_DIMENSIONS);
  // Sublinear term frequency, as embedding models saturate on repetition.
  for (const [feature, weight] of counts) addFeature(vector, feature, Math.log1p(weight));
  let norm = hypot(vector);
  if (norm === 0) {
    // Empty or punctuation-only text still gets a valid unit vector.
    addFeature(vector, "empty", 1);
    norm = 1;
  }
  // Rounded to float32 so the "float" and "base64" encodings carry identical values.
  const out = new Array<number>(FAKE_DIMENSIONS);
  for (let i = 0; i < FAKE_DIMENSIONS; i++) out[i] = Math.fround(vector[i]! / norm);
  return out;
}

/**
 * `Math.hypot(...vector)` computed as V8 computes it (scaled by the largest value, Kahan
 * summation), so vectors stay bit-identical; spreading 1,024 arguments made the fake cost
 * about 0.3 s of CPU per 1,000 chunks, on the cores the benchmarks measure askdocs on.
 */
function hypot(vector: Float64Array): number {
  let max = 0;
  for (const x of vector) max = Math.max(max, Math.abs(x));
  if (max === 0) return 0;
  let sum = 0;
  let compensation = 0;
  for (const x of vector) {
    const n = Math.abs(x) / max;
    const summand = n * n - compensation;
    const preliminary = sum + summand;
    compensation = preliminary - sum - summand;
    sum = preliminary;
  }
  return Math.sqrt(sum) * max;
}

/** `encoding_format: "base64"`: little-endian float32, as OpenAI-compatible servers send it. */
export function toBase64(vector: number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (const [i, x] of vector.entries()) view.setFloat32(i * 4, x, true);
  return Buffer.from(view.buffer).toString("base64");
}

export function fromBase64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
