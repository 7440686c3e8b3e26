/**
 * The blob store keeps each document's original file beside the chunk store, so a
 * citation can open the very page it came from. Runtime-agnostic contract: a folder on
 * Node (folder-blob-store.ts); R2 or an object store can implement the same four calls.
 * Blobs are keyed by collection and document id; writing a key again replaces it.
 */
export interface BlobMeta {
  /** The file's name as uploaded or ingested (its `source`). */
  name: string;
  /** Media type served back, e.g. `application/pdf`. */
  contentType: string;
  size: number;
  /** Pages of a paged document (PDF), when known. */
  pages?: number;
  storedAt: number;
}

export interface Blob {
  meta: BlobMeta;
  bytes: Uint8Array;
}

export interface BlobStore {
  put(collection: string, documentId: string, bytes: Uint8Array, meta: Omit<BlobMeta, "size" | "storedAt">): Promise<void>;
  get(collection: string, documentId: string): Promise<Blob | undefined>;
  /** Metadata only, for listings. */
  head(collection: string, documentId: string): Promise<BlobMeta | undefined>;
  /** True when something was deleted. */
  delete(collection: string, documentId: string): Promise<boolean>;
}

const TYPES: Record<string, string> = {
  pdf: "application/pdf",
  md: "text/markdown",
  markdown: "text/markdown",
  html: "text/html",
  htm: "text/html",
  txt: "text/plain",
  text: "text/plain",
};

/** The media type to keep for a source name (by extension); octet-stream when unknown. */
export function contentTypeFor(name: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? "";
  return TYPES[ext] ?? "application/octet-stream";
}
