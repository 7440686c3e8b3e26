/**
 * How the pipeline turns a file's bytes into a document. The core knows only this
 * interface: in this thread by default (any runtime), or in a pool of worker threads
 * that the Node entry points inject (parse-pool.ts), so that PDF parsing neither
 * blocks the HTTP server's event loop nor outlives its time limit.
 */
import { type LoadOptions, loadDocument } from "./loaders/index.js";
import type { LoadedDocument } from "./loaders/types.js";

export interface DocumentParser {
  /** Files worth parsing at once: the pipeline reads this far ahead. */
  readonly concurrency: number;
  /** Fails with LoadError like `loadDocument`, `timeout` included. */
  parse(bytes: Uint8Array, name: string, options: Pick<LoadOptions, "timeoutMs">): Promise<LoadedDocument>;
  /** Stops any worker threads; the parser cannot be used afterwards. */
  close(): Promise<void>;
}

/** Parses in the calling thread (any runtime; no OCR, which needs Node's canvas). */
export function createInlineParser(): DocumentParser {
  return {
    concurrency: 1,
    parse: (bytes, name, { timeoutMs }) => loadDocument(bytes, name, { timeoutMs }),
    close: async () => undefined,
  };
}
