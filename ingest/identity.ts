/**
 * Who a document is and whether it changed. The id comes from the collection and the
 * normalised source path, so re-ingesting a file replaces it instead of duplicating it;
 * the content hash covers the bytes and the chunking settings, so a file is re-embedded
 * exactly when its chunks would differ. Hashed with the runtime's SHA-256 (`Sha256`).
 */
const encoder = new TextEncoder();

/** SHA-256 of some bytes, one part after another, as hex. */
export type Sha256 = (...parts: Uint8Array[]) => string | Promise<string>;

/** Web Crypto's, which every runtime has; Node injects node:crypto's (ingest/node/sha256.ts). */
export const webSha256: Sha256 = async (...parts) => {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  const digest = await crypto.subtle.digest("SHA-256", joined);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
};

/** Forward slashes, no `./` or duplicate separators: one path, one id, on every OS. */
export function normaliseSource(source: string): string {
  return source
    .replace(/\\/g, "/")
    .replace(/\/{2,}/g, "/")
    .replace(/(^|\/)\.\//g, "$1");
}

export async function documentId(collection: string, source: string, sha256: Sha256 = webSha256): Promise<string> {
  return (await sha256(encoder.encode(`${collection}\0${normaliseSource(source)}`))).slice(0, 32);
}

/** `settings` names everything besides the bytes that shapes the stored chunks (chunker version, sizes, model). */
export async function contentHash(bytes: Uint8Array, settings: string, sha256: Sha256 = webSha256): Promise<string> {
  return sha256(encoder.encode(`${settings}\0`), bytes);
}
