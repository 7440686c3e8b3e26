/**
 * Node blob store: one folder per collection, `<id>.bin` with a `<id>.json` sidecar.
 * Writes go to a temporary name and are renamed into place, so a reader never sees half
 * a file. Ids and collection names are validated by the HTTP layer and the store
 * (hex ids, `[A-Za-z0-9_-]` names); they are checked again here because they become paths.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BLOB_KEY as SAFE, type BlobMeta, type BlobStore, blobMetaSchema as metaSchema } from "../blobs/blob-store.js";

/** The default folder for a database path: beside it, e.g. `data/lancedb` → `data/lancedb-files`. */
export function blobFolderFor(lancedbUri: string): string {
  return `${lancedbUri.replace(/[\\/]+$/, "")}-files`;
}

/**
 * Blobs below this size are written synchronously: nine thread-pool round trips per blob
 * (mkdir, two files of open/write/close, two renames) cost an ingest of 2,000 small files
 * 0.5 s of CPU, where the same calls in-line hold the event loop well under a millisecond.
 */
const SYNC_WRITE_BELOW = 256 * 1024;
const syncWrites = { mkdir: mkdirSync, writeFile: writeFileSync, rename: renameSync };
const asyncWrites = { mkdir, writeFile, rename };

export function createFolderBlobStore(root: string): BlobStore {
  const paths = (collection: string, documentId: string) => {
    if (!SAFE.test(collection) || !SAFE.test(documentId)) throw new TypeError(`Expected a collection name and document id usable as file names, got \`${collection}\`, \`${documentId}\``);
    const dir = join(root, collection);
    return { dir, bin: join(dir, `${documentId}.bin`), json: join(dir, `${documentId}.json`) };
  };
  const missing = (error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  };
  const head = async (collection: string, documentId: string): Promise<BlobMeta | undefined> => {
    const text = await readFile(paths(collection, documentId).json, "utf8").catch(missing);
    return text === undefined ? undefined : metaSchema.parse(JSON.parse(text));
  };

  return {
    async put(collection, documentId, bytes, meta) {
      const p = paths(collection, documentId);
      const full: BlobMeta = { ...meta, size: bytes.byteLength, storedAt: Date.now() };
      const tmp = `.${process.pid}.${Date.now()}.tmp`;
      const fs = bytes.byteLength < SYNC_WRITE_BELOW ? syncWrites : asyncWrites;
      // Bytes first, then the sidecar: the sidecar's presence means the blob is complete.
      await fs.mkdir(p.dir, { recursive: true });
      await fs.writeFile(p.bin + tmp, bytes);
      await fs.writeFile(p.json + tmp, JSON.stringify(full));
      await fs.rename(p.bin + tmp, p.bin);
      await fs.rename(p.json + tmp, p.json);
    },
    head,
    async get(collection, documentId) {
      const meta = await head(collection, documentId);
      if (!meta) return undefined;
      const bytes = await readFile(paths(collection, documentId).bin).catch(missing);
      return bytes ? { meta, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) } : undefined;
    },
    async delete(collection, documentId) {
      const p = paths(collection, documentId);
      const existed = (await head(collection, documentId)) !== undefined;
      await rm(p.json, { force: true });
      await rm(p.bin, { force: true });
      return existed;
    },
  };
}
