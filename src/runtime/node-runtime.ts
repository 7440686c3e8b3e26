/**
 * The runtime on Node: LanceDB at LANCEDB_URI under the runtime factory, originals in a
 * folder beside it, and a pool of worker threads that parse (and render pages for OCR)
 * off the main thread. Used by the server (src/node.ts) and the commands (ingest, eval).
 */
import { createParsePool } from "../../ingest/node/parse-pool.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { blobFolderFor, createFolderBlobStore } from "../node/folder-blob-store.js";
import { openLanceStore } from "../store/lance-store.js";
import { type CreateRuntimeOptions, createRuntime } from "./create-runtime.js";
import type { Runtime } from "./runtime.js";

export async function openNodeRuntime(config: Config, options: { logger?: Logger; providers?: CreateRuntimeOptions["providers"] } = {}): Promise<Runtime> {
  const store = await openLanceStore({ uri: config.LANCEDB_URI });
  return createRuntime({
    config,
    store,
    blobs: createFolderBlobStore(blobFolderFor(config.LANCEDB_URI)),
    ...options,
    createParser: (ocr) => createParsePool({ embedModel: config.EMBED_MODEL, readImage: ocr && ((dataUrl) => ocr.read(dataUrl)) }),
  });
}
