/**
 * What every door is built on: the configuration, the store, the providers, the logger,
 * ingest, and the two services people call (search and answer). One runtime per process
 * (or per Worker isolate), made by `createRuntime` (create-runtime.ts); the Node entry
 * opens LanceDB for it (node-runtime.ts). Doors (HTTP, OpenAI, Anthropic, MCP, commands)
 * take a Runtime and hold no retrieval or answer logic of their own.
 */
import type { AnswerEvent, AnswerRequest } from "../answer/answer.js";
import type { BlobStore } from "../blobs/blob-store.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Providers } from "../providers/registry.js";
import type { Retrieval } from "../retrieval/retrieve.js";
import type { SearchMode, VectorStore } from "../store/vector-store.js";
import type { IngestService } from "./ingest-service.js";

export interface SearchRequest {
  query: string;
  collection: string;
  topK: number;
  mode?: SearchMode | undefined;
  /** false skips the reranker (when one is configured). */
  rerank?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Carried into provider calls (X-Request-Id). */
  requestId?: string | undefined;
}

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: VectorStore;
  readonly providers: Providers;
  readonly ingest: IngestService;
  /** Counters and histograms every door records into; `/metrics` renders them. */
  readonly metrics: Metrics;
  /** Documents' original files (kept by ingest, served to open a citation's source); absent where none is configured. */
  readonly blobs: BlobStore | undefined;
  /** The top-k passages for a query, with the limits of the configuration (fusion, queue wait). */
  search(request: SearchRequest): Promise<Retrieval>;
  /** See src/answer/answer.ts: events from retrieval to `done` or `error`. */
  answer(request: AnswerRequest): AsyncGenerator<AnswerEvent, void, undefined>;
  /** Closes the store, and the parser's worker threads on Node. */
  close(): Promise<void>;
}
