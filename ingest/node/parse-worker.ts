/**
 * A parse-pool worker thread (Node): parses and chunks one file at a time with the same
 * loaders and chunker as the main thread, and renders pages without a text layer for OCR,
 * asking the main thread (which owns the provider's queue) to read each image.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type EmbedModelId, embedModelProfile } from "../../src/providers/embed-models.js";
import { parseFile } from "../document-parser.js";
import { LoadError } from "../loaders/index.js";
import { ingestSettings } from "../settings.js";
import { createCMapFiles } from "./cmap-files.js";
import { createPageOcr } from "./page-ocr.js";
import type { FromWorker, ToWorker } from "./parse-pool.js";

// pdf.js inflates FlateDecode streams through DecompressionStream("deflate") when it can:
// on Node, zlib on libuv's thread pool behind web streams. That pays on a thread with an
// idle core beside it, not in a pool that already keeps every core parsing, where pdf.js's
// own inflate (its fallback when the stream cannot be made) was about 10% faster (ten
// 10-Qs, pool of 2 on 2 cores). Other formats (pdf-repair.ts's "deflate-raw") still work.
globalThis.DecompressionStream = class extends DecompressionStream {
  constructor(format: CompressionFormat) {
    if (format === "deflate") throw new TypeError("pdf.js inflates in this thread");
    super(format);
  }
};

const port = parentPort!;
const { chunkOptions } = ingestSettings(embedModelProfile((workerData as { embedModel: EmbedModelId }).embedModel));
const send = (message: FromWorker) => port.postMessage(message);
const images = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
let nextImage = 0;
const cMaps = createCMapFiles();

const ocr = createPageOcr(
  (dataUrl) =>
    new Promise((resolve, reject) => {
      const id = nextImage++;
      images.set(id, { resolve, reject });
      send({ type: "read-image", id, dataUrl });
    }),
);

port.on("message", (message: ToWorker) => {
  if (message.type === "image-text") {
    const waiting = images.get(message.id);
    images.delete(message.id);
    if (message.error === undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(message.error));
    return;
  }
  parseFile(message.bytes, message.name, chunkOptions, { timeoutMs: message.timeoutMs, ocr: message.ocr ? ocr : undefined, cMaps }).then(
    (parsed) => send({ type: "done", parsed }),
    (error: unknown) => send({ type: "failed", reason: error instanceof LoadError ? error.reason : undefined, message: error instanceof Error ? error.message : String(error) }),
  );
});
