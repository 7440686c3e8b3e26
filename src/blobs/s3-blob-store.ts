/**
 * Documents' originals on object storage, beside the LanceDB tables of an `s3://` or
 * `s3+ddb://` deployment, so every replica can serve a citation's source: the bytes at
 * `<prefix>/_askdocs/files/<collection>/<id>.bin`, then a `.json` sidecar with the
 * metadata. The sidecar is written last and read first: its presence means the blob is
 * complete (a PUT is atomic on S3, so each object is whole or absent).
 */
import type { S3Objects } from "../store/s3-objects.js";
import { BLOB_KEY, type BlobMeta, type BlobStore, blobMetaSchema } from "./blob-store.js";

export function createS3BlobStore(objects: S3Objects): BlobStore {
  const keys = (collection: string, documentId: string) => {
    if (!BLOB_KEY.test(collection) || !BLOB_KEY.test(documentId)) throw new TypeError(`Expected a collection name and document id usable as object names, got \`${collection}\`, \`${documentId}\``);
    const base = `files/${collection}/${documentId}`;
    return { bin: `${base}.bin`, json: `${base}.json` };
  };
  /** The body of an object, or undefined when it does not exist. */
  const read = async (key: string): Promise<Response | undefined> => {
    const response = await objects.fetch(key);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw new Error(`Reading a document's original from object storage failed: HTTP ${response.status}`);
    return response;
  };
  const write = async (key: string, body: Uint8Array<ArrayBuffer> | string, contentType: string) => {
    const response = await objects.fetch(key, { method: "PUT", headers: { "content-type": contentType }, body });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`Storing a document's original in object storage failed: HTTP ${response.status}`);
  };
  const head = async (collection: string, documentId: string): Promise<BlobMeta | undefined> => {
    const response = await read(keys(collection, documentId).json);
    return response ? blobMetaSchema.parse(await response.json()) : undefined;
  };

  return {
    async put(collection, documentId, bytes, meta) {
      const k = keys(collection, documentId);
      const full: BlobMeta = { ...meta, size: bytes.byteLength, storedAt: Date.now() };
      await write(k.bin, bytes as Uint8Array<ArrayBuffer>, "application/octet-stream");
      await write(k.json, JSON.stringify(full), "application/json");
    },
    head,
    async get(collection, documentId) {
      const meta = await head(collection, documentId);
      if (!meta) return undefined;
      const response = await read(keys(collection, documentId).bin);
      return response ? { meta, bytes: new Uint8Array(await response.arrayBuffer()) } : undefined;
    },
    async delete(collection, documentId) {
      const k = keys(collection, documentId);
      const existed = (await head(collection, documentId)) !== undefined;
      // Sidecar first: a blob without it is treated as absent.
      for (const key of [k.json, k.bin]) {
        const response = await objects.fetch(key, { method: "DELETE" });
        await response.body?.cancel();
      }
      return existed;
    },
  };
}
