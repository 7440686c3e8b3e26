/**
 * The blob store keeps each document's original file beside the chunk store, so a
 * citation can open the very page it came from. Runtime-agnostic contract: a folder on
 * Node (src/node/folder-blob-store.ts); R2 or an object store can implement the same four calls.
 * Blobs are keyed by collection and document id; writing a key again replaces it.
 */
import { z } from "zod";

/** Collection names and document ids become file or object names: checked again by every store. */
export const BLOB_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The metadata sidecar as stored (read back through it). */
export const blobMetaSchema = z.object({ name: z.string(), contentType: z.string(), size: z.number(), pages: z.number().optional(), storedAt: z.number() });

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

/**
 * The charset of a text original: UTF-16 by its byte-order mark, UTF-8 when the bytes are valid UTF-8, else GB18030 (a
 * superset of GBK), the other encoding askdocs ingests. Served in the Content-Type so the
 * browser decodes the original bytes right.
 */
export function charsetOf(bytes: Uint8Array): "utf-8" | "utf-16le" | "utf-16be" | "gb18030" {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return "utf-8";
  } catch {
    return "gb18030";
  }
}

/** The media type to keep for a source name (by extension); octet-stream when unknown. */
export function contentTypeFor(name: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? "";
  return TYPES[ext] ?? "application/octet-stream";
}
