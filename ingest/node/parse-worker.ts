/**
 * A parse-pool worker thread (Node): parses and chunks one file at a time with the same
 * loaders and chunker as the main thread, and renders pages without a text layer for OCR,
 * asking the main thread (which owns the provider's queue) to read each image.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type EmbedModelId, embedModelProfile } from "../../src/providers/embed-models.js";
import { chunkedFile, parseFile } from "../document-parser.js";
import { LoadError, type PageRange, identifyFile, pdfDocument, readPdfPart } from "../loaders/index.js";
import { ingestSettings } from "../settings.js";
import { createCMapFiles } from "./cmap-files.js";
import { createPageOcr } from "./page-ocr.js";
import type { FromWorker, ToWorker } from "./parse-pool.js";

// pdf.js inflates FlateDecode streams through DecompressionStream("deflate") when it can:
// on Node, zlib on libuv's thread pool behind web streams. That pays on a thread with an
// idle core beside it, not in a pool that already keeps every core parsing, where pdf.js's
// own inflate (its fallback when the stream cannot be made) was about 13% faster (ten
// 10-Qs, pool of 2 on 2 cores). Other formats (pdf-repair.ts's "deflate-raw") still work.
globalThis.DecompressionStream = class extends DecompressionStream {
  constructor(format: CompressionFormat) {
    if (format === "deflate") throw new TypeError("pdf.js inflates in this thread");
    super(format);
  }
};

/** Pages per share below which a PDF is not split: each share opens the file again and loads the fonts its pages use. */
const MIN_SHARE_PAGES = 8;

/** `count` pages in up to `ways` consecutive ranges of about the same length. */
function shareOut(count: number, ways: number): PageRange[] {
  const n = Math.max(1, Math.min(ways, Math.floor(count / MIN_SHARE_PAGES)));
  return Array.from({ length: n }, (_, i) => ({ first: Math.floor((i * count) / n) + 1, last: Math.floor(((i + 1) * count) / n) }));
}

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
  if (message.type === "steal") return share();
  work(message).catch((error: unknown) => send({ type: "failed", reason: error instanceof LoadError ? error.reason : undefined, message: error instanceof Error ? error.message : String(error) }));
});

/** The pages this thread is reading, which the pool may ask it to share (`steal`), and whether it has. */
let reading: { range: PageRange; page: number; shared: boolean } | undefined;
/** A `steal` that came before the pages were chosen: honoured as soon as they are. */
let stealWanted = false;

/** Hands the second half of the pages not yet started to the pool, for an idle worker. */
function share(): void {
  if (!reading) {
    stealWanted = true;
    return;
  }
  const { range, page } = reading;
  const remaining = range.last - page;
  if (remaining < 2 * MIN_SHARE_PAGES) return;
  const cut = page + Math.ceil(remaining / 2);
  send({ type: "split", ranges: [{ first: cut + 1, last: range.last }] });
  range.last = cut;
  reading.shared = true;
}

async function work(message: Exclude<ToWorker, { type: "image-text" | "steal" }>): Promise<void> {
  if (message.type === "chunk") return send({ type: "done", parsed: chunkedFile(pdfDocument(message.parts), chunkOptions) });
  const options = { timeoutMs: message.timeoutMs, ocr: message.ocr ? ocr : undefined, cMaps };
  const { fileName, format } = identifyFile(message.bytes, message.name);
  if (format !== "pdf") return send({ type: "done", parsed: await parseFile(message.bytes, message.name, chunkOptions, options) });
  // A PDF: this thread reads its share of the pages, the pool gives the others to other
  // workers, and a last job puts the parts together and chunks them.
  stealWanted = false;
  let mine: { range: PageRange; page: number; shared: boolean } | undefined;
  const part = await readPdfPart(message.bytes, fileName, {
    ...options,
    pages(count) {
      if (mine) {
        // A second reading, of the repaired file: the same range, no longer shared (the
        // pool reads a file whole again when one of its parts needed repair).
        reading = undefined;
        return mine.range;
      }
      const [first, ...rest] = message.type === "read-pages" ? [{ ...message.range }] : shareOut(count, message.split);
      if (rest.length > 0) send({ type: "split", ranges: rest });
      mine = reading = { range: first!, page: first!.first, shared: rest.length > 0 };
      if (stealWanted) share();
      return mine.range;
    },
    onPage(page) {
      if (mine) mine.page = page;
      // pdf.js in this thread runs on promises alone: without a turn of the event loop a
      // `steal` would wait for the whole file.
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
  }).finally(() => {
    reading = undefined;
  });
  // A file nobody else has a part of is chunked here; a part goes back to the pool.
  if (message.type === "parse" && !mine?.shared) send({ type: "done", parsed: chunkedFile(pdfDocument([part]), chunkOptions) });
  else send({ type: "part", part });
}
