/**
 * A pool of worker threads that parse and chunk PDFs (and any large file) off the main
 * thread (Node). The HTTP server's event loop stays free while uploads are parsed, several
 * files parse at once on several cores, and a file over its time limit is really
 * stopped: its worker is terminated and replaced, and the file fails with `timeout`.
 * Small text files are done in the calling thread: a message round trip costs more.
 * Workers chunk with the settings of `embedModel`, exactly as the calling thread does.
 *
 * The worker file sits next to this one with the same extension: `.ts` under tsx and
 * vitest (the worker then loads tsx's ESM loader), `.js` in the compiled build.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type EmbedModelId, embedModelProfile } from "../../src/providers/embed-models.js";
import { type DocumentParser, type ParsedFile, parseFile } from "../document-parser.js";
import { LoadError, type LoadFailure, detectFormat } from "../loaders/index.js";
import { ingestSettings } from "../settings.js";
import type { ImageReader } from "./page-ocr.js";

export type ToWorker =
  | { type: "parse"; bytes: Uint8Array; name: string; timeoutMs: number; ocr: boolean }
  | { type: "image-text"; id: number; text: string; error?: undefined }
  | { type: "image-text"; id: number; error: string; text?: undefined };

export type FromWorker = { type: "done"; parsed: ParsedFile } | { type: "failed"; reason: LoadFailure | undefined; message: string } | { type: "read-image"; id: number; dataUrl: string };

export interface ParsePoolOptions {
  /** The embedding model whose tokens size the chunks (EMBED_MODEL). */
  embedModel: EmbedModelId;
  /** Worker threads (default: the cores available to this process, at most 8). */
  size?: number;
  /** Reads page images for OCR; without it, pages without a text layer are skipped. */
  readImage?: ImageReader | undefined;
  /** Files at least this large go to a worker whatever their format (default 256 KiB); PDFs always do. */
  inlineBelowBytes?: number;
  /** Heap limit per worker, so that a hostile file cannot exhaust the process (default 1024 MB). */
  maxHeapMb?: number;
}

interface Job {
  bytes: Uint8Array;
  name: string;
  timeoutMs: number;
  resolve(parsed: ParsedFile): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job | undefined;
}

const extension = new URL(import.meta.url).pathname.match(/\.[cm]?[jt]s$/)?.[0] ?? ".js";
const workerUrl = new URL(`./parse-worker${extension}`, import.meta.url);

/**
 * The compiled worker starts directly. A TypeScript one needs tsx's loader first, and
 * Node 20 does not apply `--import` to a worker's own entry: a one-line script imports
 * the loader (what `--import tsx` would), then the worker.
 */
function startWorker(options: ConstructorParameters<typeof Worker>[1]): Worker {
  if (!extension.endsWith("ts")) return new Worker(workerUrl, options);
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(workerUrl))});`, { ...options, eval: true });
}

export function createParsePool(options: ParsePoolOptions): DocumentParser {
  const size = options.size ?? Math.max(1, Math.min(8, availableParallelism()));
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`Expected \`size\` to be an integer >= 1, got \`${size}\` (${typeof size})`);
  const inlineBelow = options.inlineBelowBytes ?? 256 * 1024;
  const { chunkOptions } = ingestSettings(embedModelProfile(options.embedModel));
  const offloads = (name: string, size: number) => detectFormat(name) === "pdf" || size >= inlineBelow;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let closed = false;

  const spawn = (): Slot => {
    const worker = startWorker({ workerData: { embedModel: options.embedModel }, resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 1024 } });
    worker.unref(); // an idle pool never keeps the process alive
    const slot: Slot = { worker };
    worker.on("error", (error) => replace(slot, new LoadError("corrupt", `the parser failed on this file: ${error.message}`, { cause: error })));
    worker.on("exit", () => replace(slot, new Error("the parser thread exited unexpectedly")));
    return slot;
  };

  /** Ends the slot's job with `error` (if any) and puts a fresh worker in its place. */
  function replace(slot: Slot, error: Error): void {
    const at = slots.indexOf(slot);
    if (at < 0) return; // already replaced
    const job = slot.job;
    slot.job = undefined;
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    slots.splice(at, 1);
    job?.reject(error);
    dispatch();
  }

  function run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    // The clock stops while a page image is being read: the provider's queue is not the file's fault.
    let remaining = job.timeoutMs;
    let since = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      since = Date.now();
      timer = setTimeout(() => replace(slot, new LoadError("timeout", `parsing took longer than ${job.timeoutMs} ms and was stopped; try a smaller file`)), remaining);
    };
    const settle = () => {
      clearTimeout(timer);
      slot.worker.off("message", onMessage);
      slot.worker.unref();
      slot.job = undefined;
      dispatch();
    };
    const onMessage = (message: FromWorker) => {
      if (slot.job !== job) return;
      if (message.type === "read-image") {
        clearTimeout(timer);
        remaining -= Date.now() - since;
        options.readImage!(message.dataUrl)
          .then(
            (text) => slot.worker.postMessage({ type: "image-text", id: message.id, text } satisfies ToWorker),
            (error: Error) => slot.worker.postMessage({ type: "image-text", id: message.id, error: error.message } satisfies ToWorker),
          )
          .finally(() => slot.job === job && arm());
        return;
      }
      settle();
      if (message.type === "done") job.resolve(message.parsed);
      else job.reject(message.reason ? new LoadError(message.reason, message.message) : new Error(message.message));
    };
    slot.worker.on("message", onMessage);
    // A copy is transferred: the caller keeps its bytes, and nothing is cloned twice.
    const bytes = job.bytes.slice();
    // The worker's own (cooperative) limit is only a backstop: this thread's stop is the one that holds.
    slot.worker.postMessage({ type: "parse", bytes, name: job.name, timeoutMs: 2 * job.timeoutMs + 1000, ocr: Boolean(options.readImage) } satisfies ToWorker, [bytes.buffer]);
    arm();
  }

  function dispatch(): void {
    if (closed) return;
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.job);
      if (!slot && slots.length < size) {
        slot = spawn();
        slots.push(slot);
      }
      if (!slot) return;
      run(slot, queue.shift()!);
    }
  }

  return {
    concurrency: size,
    offloads,
    parse(bytes, name, { timeoutMs = 60_000 }) {
      if (closed) return Promise.reject(new Error("the parse pool is closed"));
      if (!offloads(name, bytes.length)) return parseFile(bytes, name, chunkOptions, { timeoutMs });
      return new Promise((resolve, reject) => {
        queue.push({ bytes, name, timeoutMs, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error("the parse pool was closed"));
      const workers = slots.splice(0).map((s) => {
        s.worker.removeAllListeners();
        s.job?.reject(new Error("the parse pool was closed"));
        return s.worker.terminate();
      });
      await Promise.all(workers);
    },
  };
}
