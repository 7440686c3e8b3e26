/**
 * A parse-pool worker thread (Node): parses one file at a time with the same loaders as
 * the main thread, and renders pages without a text layer for OCR, asking the main
 * thread (which owns the provider's queue) to read each image.
 */
import { parentPort } from "node:worker_threads";
import { LoadError, loadDocument } from "../loaders/index.js";
import { createPageOcr } from "./page-ocr.js";
import type { FromWorker, ToWorker } from "./parse-pool.js";

const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const images = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
let nextImage = 0;

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
  loadDocument(message.bytes, message.name, { timeoutMs: message.timeoutMs, ocr: message.ocr ? ocr : undefined }).then(
    (document) => send({ type: "done", document }),
    (error: unknown) => send({ type: "failed", reason: error instanceof LoadError ? error.reason : undefined, message: error instanceof Error ? error.message : String(error) }),
  );
});
