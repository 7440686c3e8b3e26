/**
 * Who a document is and whether it changed. The id comes from the collection and the
 * normalised source path, so re-ingesting a file replaces it instead of duplicating it;
 * the content hash covers the bytes and the chunking settings, so a file is re-embedded
 * exactly when its chunks would differ. Web Crypto only: runs on Node and Workers.
 */
const encoder = new TextEncoder();

async function sha256Hex(...parts: Uint8Array[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  const digest = await crypto.subtle.digest("SHA-256", joined);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Forward slashes, no `./` or duplicate separators: one path, one id, on every OS. */
export function normaliseSource(source: string): string {
  return source
    .replace(/\\/g, "/")
    .replace(/\/{2,}/g, "/")
    .replace(/(^|\/)\.\//g, "$1");
}

export async function documentId(collection: string, source: string): Promise<string> {
  return (await sha256Hex(encoder.encode(`${collection}\0${normaliseSource(source)}`))).slice(0, 32);
}

/** `settings` names everything besides the bytes that shapes the stored chunks (chunker version, sizes, model). */
export async function contentHash(bytes: Uint8Array, settings: string): Promise<string> {
  return sha256Hex(encoder.encode(`${settings}\0`), bytes);
}
