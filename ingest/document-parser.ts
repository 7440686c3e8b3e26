/**
 * How the pipeline turns a file's bytes into chunks. The core knows only this interface:
 * in this thread by default (any runtime), or in a pool of worker threads that the Node
 * entry points inject (node/parse-pool.ts), so that parsing and chunking neither block
 * the HTTP server's event loop nor outlive their time limit.
 */
import { type Chunk, type ChunkOptions, chunkDocument } from "./chunk.js";
import { type LoadedDocument, type LoadOptions, loadDocument } from "./loaders/index.js";

/** A file ready to embed: its title, page count (PDF) and chunks. */
export interface ParsedFile {
  title: string;
  pages: number | undefined;
  chunks: Chunk[];
  /** What the loader read around (a skipped PDF page, a repaired stream): see LoadedDocument. */
  warnings?: string[];
}

export interface DocumentParser {
  /** Files worth parsing at once. */
  readonly concurrency: number;
  /** Whether this file is parsed in another thread (the pipeline then parses it ahead, out of turn). */
  offloads?(name: string, size: number): boolean;
  /** Fails with LoadError like `loadDocument`, `timeout` included. */
  parse(bytes: Uint8Array, name: string, options: Pick<LoadOptions, "timeoutMs">): Promise<ParsedFile>;
  /** Stops any worker threads; the parser cannot be used afterwards. */
  close(): Promise<void>;
}

/** Loads and chunks one file in the calling thread. */
export async function parseFile(bytes: Uint8Array, name: string, chunkOptions: ChunkOptions, options: LoadOptions): Promise<ParsedFile> {
  return chunkedFile(await loadDocument(bytes, name, options), chunkOptions);
}

/** A loaded document, chunked. */
export function chunkedFile(document: LoadedDocument, chunkOptions: ChunkOptions): ParsedFile {
  return { title: document.title, pages: document.pages, chunks: chunkDocument(document, chunkOptions), ...(document.warnings ? { warnings: document.warnings } : {}) };
}

/** Parses in the calling thread (any runtime; no OCR, which needs Node's canvas). */
export function createInlineParser(chunkOptions: ChunkOptions): DocumentParser {
  return {
    concurrency: 1,
    parse: (bytes, name, { timeoutMs }) => parseFile(bytes, name, chunkOptions, { timeoutMs }),
    close: async () => undefined,
  };
}
