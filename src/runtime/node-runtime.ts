/**
 * The runtime on Node: LanceDB at LANCEDB_URI (a folder or object storage, with storage
 * options from the AWS variables) under the runtime factory, plus cross-host write
 * leases on object storage; documents' originals in a folder beside a local database, or
 * in the bucket beside object-store tables. Used by the server (src/node.ts) and the
 * commands (ingest, eval). A pool of worker threads parses (and renders pages for OCR)
 * off the main thread.
 */
import { createParsePool } from "../../ingest/node/parse-pool.js";
import { nodeSha256 } from "../../ingest/node/sha256.js";
import type { Config } from "../config.js";
import { openLeaseStore } from "./node-leases.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import { blobFolderFor, createFolderBlobStore } from "../node/folder-blob-store.js";
import { createS3BlobStore } from "../blobs/s3-blob-store.js";
import { openLanceStore } from "../store/lance-store.js";
import { s3Objects } from "../store/s3-objects.js";
import { lanceStorageOptions, parseStorageLocation, readConsistencyMs } from "../store/storage-location.js";
import { type CreateRuntimeOptions, createRuntime } from "./create-runtime.js";
import type { Runtime } from "./runtime.js";

export async function openNodeRuntime(config: Config, options: { logger?: Logger; providers?: CreateRuntimeOptions["providers"] } = {}): Promise<Runtime> {
  const location = parseStorageLocation(config.LANCEDB_URI);
  const store = await openLanceStore({
    uri: config.LANCEDB_URI,
    readConsistencySeconds: readConsistencyMs(location, config.READ_CONSISTENCY_MS) / 1000,
    ...(location.kind === "local" ? {} : { storageOptions: lanceStorageOptions(config) }),
  });
  const leases = openLeaseStore(config, location, options.logger ?? silentLogger);
  // Never a folder named after a URI: originals go to a folder beside a local database, to the bucket beside object-store tables.
  const blobs = location.kind === "local" ? createFolderBlobStore(blobFolderFor(location.path)) : createS3BlobStore(s3Objects(config, location.bucket, location.prefix));
  return createRuntime({
    config,
    store,
    blobs,
    ...options,
    ...(leases ? { leases } : {}),
    sha256: nodeSha256,
    createParser: (ocr) => createParsePool({ embedModel: config.EMBED_MODEL, readImage: ocr && ((dataUrl) => ocr.read(dataUrl)) }),
  });
}
