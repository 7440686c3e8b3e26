/**
 * A pool of worker threads that parse and chunk PDFs (and any large file) off the main
 * thread (Node). The HTTP server's event loop stays free while uploads are parsed, several
 * files parse at once on several cores, and a file over its time limit is really
 * stopped: its worker is terminated and replaced, and the file fails with `timeout`.
 * Small text files are done in the calling thread: a message round trip costs more.
 * Workers chunk with the settings of `embedModel`, exactly as the calling thread does.
 *
 * A long PDF is read in parts on several workers: shared out when it opens if nothing
 * else waits, and, when a worker goes idle with nothing queued, the worker reading a PDF
 * hands it half the pages it has not started. Other parts go to the front of the queue;
 * a last job puts the parts together and chunks them, exactly as one thread would. One
 * large upload parses on every core, and a batch's last PDFs do not leave cores idle (ten
 * 10-Qs, pool of 2 on 2 cores against one thread: 1.54x before, 1.70-1.86x with both,
 * medians of paired runs as the machine drifted, `npm run bench:ingest`). A file one of
 * whose parts needed repair is read again whole: the repaired file's pages may not be
 * the original's.
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
import { LoadError, type LoadFailure, type PageRange, type PdfPart, detectFormat } from "../loaders/index.js";
import { ingestSettings } from "../settings.js";
import type { ImageReader } from "./page-ocr.js";

export type ToWorker =
  /** A whole file; a PDF may be shared out among `split` workers (the worker then answers `split` and `part`). */
  | { type: "parse"; bytes: Uint8Array; name: string; timeoutMs: number; ocr: boolean; split: number }
  /** Some pages of a PDF, answered with `part`. */
  | { type: "read-pages"; bytes: Uint8Array; name: string; timeoutMs: number; ocr: boolean; range: PageRange }
  /** A PDF's parts put together and chunked, answered with `done`. */
  | { type: "chunk"; parts: PdfPart[] }
  /** Hand half the pages not yet started to another worker, if enough are left (answered with `split`, or not at all). */
  | { type: "steal" }
  | { type: "image-text"; id: number; text: string; error?: undefined }
  | { type: "image-text"; id: number; error: string; text?: undefined };

export type FromWorker =
  | { type: "done"; parsed: ParsedFile }
  | { type: "split"; ranges: PageRange[] }
  | { type: "part"; part: PdfPart }
  | { type: "failed"; reason: LoadFailure | undefined; message: string }
  | { type: "read-image"; id: number; dataUrl: string };

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

/** One file given to `parse`, which may take several jobs: a long PDF is read in parts on several workers. */
interface FileTask {
  bytes: Uint8Array;
  name: string;
  timeoutMs: number;
  parts: PdfPart[];
  /** Parts to wait for: one, plus the ranges a worker shared out. */
  expected: number;
  settled: boolean;
  resolve(parsed: ParsedFile): void;
  reject(error: Error): void;
}

interface Job {
  task: FileTask;
  /** Asked to share its pages with an idle worker (once per job). */
  stealAsked?: boolean;
  /** `whole`: never shared out (a file read again after a part needed repair). */
  work: { type: "parse"; whole?: boolean } | { type: "read-pages"; range: PageRange } | { type: "chunk" };
}

interface Slot {
  worker: Worker;
  job?: Job | undefined;
}

/** Bytes of a file's copies, one per worker, up to which a long PDF is shared out. */
const MAX_SHARED_BYTES = 256 * 1024 * 1024;

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
    if (job) fail(job.task, error);
    dispatch();
  }

  function fail(task: FileTask, error: Error): void {
    if (task.settled) return;
    task.settled = true;
    task.reject(error);
    // Its other parts stop too: a file that failed is not parsed on.
    if (!closed) for (const slot of slots.filter((s) => s.job?.task === task)) replace(slot, error);
  }

  /** A part read: once all are in, the parts are put together, or, if one came from a repaired file (whose pages may differ), the file is read again whole. */
  function collect(task: FileTask, part: PdfPart): void {
    if (task.settled) return;
    task.parts.push(part);
    if (task.parts.length < task.expected) return;
    const whole = task.parts.some((p) => p.repaired);
    if (whole) task.parts = [];
    task.expected = 1;
    queue.unshift({ task, work: whole ? { type: "parse", whole } : { type: "chunk" } });
  }

  /** Parts the file may be read in: each part holds a copy of it. */
  const maxParts = (task: FileTask) => Math.max(1, Math.floor(MAX_SHARED_BYTES / task.bytes.length));

  function message(job: Job): { message: ToWorker; transfer: ArrayBuffer[] } {
    const { task, work } = job;
    if (work.type === "chunk") return { message: { type: "chunk", parts: task.parts }, transfer: [] };
    // A copy is transferred: the caller keeps its bytes, and nothing is cloned twice.
    const bytes = task.bytes.slice();
    // The worker's own (cooperative) limit is only a backstop: this thread's stop is the one that holds.
    const file = { bytes, name: task.name, timeoutMs: 2 * task.timeoutMs + 1000, ocr: Boolean(options.readImage) };
    // A long PDF is shared out only among workers that nothing else waits for, and only
    // as far as the copies fit: each share holds the whole file.
    const split = work.type === "parse" && !work.whole && queue.length === 0 ? Math.min(size, maxParts(task)) : 1;
    const toWorker: ToWorker = work.type === "read-pages" ? { type: "read-pages", ...file, range: work.range } : { type: "parse", ...file, split };
    return { message: toWorker, transfer: [bytes.buffer as ArrayBuffer] };
  }

  function run(slot: Slot, job: Job): void {
    const { task } = job;
    slot.job = job;
    slot.worker.ref();
    // The clock stops while a page image is being read: the provider's queue is not the file's fault.
    let remaining = task.timeoutMs;
    let since = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      since = Date.now();
      timer = setTimeout(() => replace(slot, new LoadError("timeout", `parsing took longer than ${task.timeoutMs} ms and was stopped; try a smaller file`)), remaining);
    };
    const settle = () => {
      clearTimeout(timer);
      slot.worker.off("message", onMessage);
      slot.worker.unref();
      slot.job = undefined;
    };
    const onMessage = (reply: FromWorker) => {
      if (slot.job !== job) return;
      if (reply.type === "read-image") {
        clearTimeout(timer);
        remaining -= Date.now() - since;
        options.readImage!(reply.dataUrl)
          .then(
            (text) => slot.worker.postMessage({ type: "image-text", id: reply.id, text } satisfies ToWorker),
            (error: Error) => slot.worker.postMessage({ type: "image-text", id: reply.id, error: error.message } satisfies ToWorker),
          )
          .finally(() => slot.job === job && arm());
        return;
      }
      if (reply.type === "split") {
        // The other ranges go first in the queue: a file already started finishes first.
        job.stealAsked = false; // it may share again later, with another idle worker
        task.expected += reply.ranges.length;
        queue.unshift(...reply.ranges.map((range): Job => ({ task, work: { type: "read-pages", range } })));
        dispatch();
        return;
      }
      settle();
      if (reply.type === "part") collect(task, reply.part);
      else if (reply.type === "done") {
        task.settled = true;
        task.resolve(reply.parsed);
      } else fail(task, reply.reason ? new LoadError(reply.reason, reply.message) : new Error(reply.message));
      dispatch();
    };
    slot.worker.on("message", onMessage);
    const { message: toWorker, transfer } = message(job);
    // A file shared out as soon as it opens is not asked again before it has done so; one
    // read again whole is never asked.
    if (toWorker.type === "parse" && (toWorker.split > 1 || (job.work.type === "parse" && job.work.whole))) job.stealAsked = true;
    slot.worker.postMessage(toWorker, transfer);
    arm();
  }

  function dispatch(): void {
    if (closed) return;
    while (queue.length > 0) {
      if (queue[0]!.task.settled) {
        queue.shift(); // a part of a file that has already failed
        continue;
      }
      let slot = slots.find((s) => !s.job);
      if (!slot && slots.length < size) {
        slot = spawn();
        slots.push(slot);
      }
      if (!slot) return;
      run(slot, queue.shift()!);
    }
    offerIdleWorkers();
  }

  /**
   * With nothing queued, each idle worker (or one not yet started) takes half of what is
   * left of a PDF another worker reads: the last files of a batch do not leave cores idle.
   */
  function offerIdleWorkers(): void {
    let idle = slots.filter((s) => !s.job).length + size - slots.length;
    for (const slot of slots) {
      if (idle === 0) return;
      const job = slot.job;
      if (!job || job.stealAsked || job.work.type === "chunk" || detectFormat(job.task.name) !== "pdf" || job.task.expected >= maxParts(job.task)) continue;
      job.stealAsked = true;
      slot.worker.postMessage({ type: "steal" } satisfies ToWorker);
      idle--;
    }
  }

  return {
    concurrency: size,
    offloads,
    parse(bytes, name, { timeoutMs = 60_000 }) {
      if (closed) return Promise.reject(new Error("the parse pool is closed"));
      if (!offloads(name, bytes.length)) return parseFile(bytes, name, chunkOptions, { timeoutMs });
      return new Promise((resolve, reject) => {
        queue.push({ task: { bytes, name, timeoutMs, parts: [], expected: 1, settled: false, resolve, reject }, work: { type: "parse" } });
        dispatch();
      });
    },
    async close() {
      closed = true;
      const closedError = new Error("the parse pool was closed");
      for (const job of queue.splice(0)) fail(job.task, closedError);
      const workers = slots.splice(0).map((s) => {
        s.worker.removeAllListeners();
        if (s.job) fail(s.job.task, closedError);
        return s.worker.terminate();
      });
      await Promise.all(workers);
    },
  };
}
