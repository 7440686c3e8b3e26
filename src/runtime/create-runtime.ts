/**
 * The runtime factory: configuration and a store in, a Runtime out. Every entry point
 * uses it: the Node server, the ingest and eval commands, the Worker, the MCP stdio
 * server. It is a composition root, so it may wire the `ingest/` pipeline into the core;
 * like everything a Worker bundles, it imports nothing Node-only.
 */
import { detectFormat, LoadError } from "../../ingest/loaders/index.js";
import { type DocumentParser, createInlineParser } from "../../ingest/document-parser.js";
import { ingestFiles } from "../../ingest/pipeline.js";
import { ingestSettings } from "../../ingest/settings.js";
import { answer } from "../answer/answer.js";
import type { BlobStore } from "../blobs/blob-store.js";
import type { Config } from "../config.js";
import { type Logger, silentLogger } from "../logger.js";
import { embedModelProfile } from "../providers/embed-models.js";
import type { ImageTextReader } from "../providers/ocr.js";
import { type CreateProvidersOptions, createProviders } from "../providers/registry.js";
import { retrieve } from "../retrieval/retrieve.js";
import type { VectorStore } from "../store/vector-store.js";
import type { IngestService } from "./ingest-service.js";
import type { Runtime } from "./runtime.js";

export interface CreateRuntimeOptions {
  config: Config;
  store: VectorStore;
  /** Default: silent. */
  logger?: Logger;
  /** Where ingest keeps documents' original files; default none (sources cannot be opened). */
  blobs?: BlobStore;
  /** Provider transport settings (an injected fetch, shorter back-offs in tests). */
  providers?: Omit<CreateProvidersOptions, "logger" | "countTokens">;
  /**
   * Makes the parser ingest uses, given the OCR reader when OCR_MODEL is configured.
   * Default: parsing in this thread, without OCR. Node injects a worker pool (node-runtime.ts).
   */
  createParser?: (ocr: ImageTextReader | undefined) => DocumentParser;
}

const SUPPORTED = ".pdf, .md, .markdown, .html, .htm, .txt and .text";

export function createRuntime(options: CreateRuntimeOptions): Runtime {
  const { config, store } = options;
  const logger = options.logger ?? silentLogger;
  const settings = ingestSettings(embedModelProfile(config.EMBED_MODEL));
  const providers = createProviders(config, { ...options.providers, logger, countTokens: settings.countTokens });
  const parser = options.createParser ? options.createParser(providers.ocr) : createInlineParser(settings.chunkOptions);
  const retrievalParts = {
    store,
    embedder: providers.embedder,
    embedderMissing: providers.embedderMissing,
    reranker: providers.reranker,
    fusion: config.HYBRID_FUSION,
    maxQueueWaitMs: config.REQUEST_QUEUE_WAIT_MS,
  };

  const ingest: IngestService = {
    dims: settings.dims,
    assertSupported(name) {
      if (!name || !detectFormat(name)) throw new LoadError("unsupported", `Unsupported file type "${name}": askdocs reads ${SUPPORTED}.`);
    },
    ingest(collectionName, collection, files, run = {}) {
      return ingestFiles(files, { ...run, collectionName, collection, embedder: providers.embedder, chunkOptions: settings.chunkOptions, settingsKey: settings.settingsKey, blobs: options.blobs, parser });
    },
  };

  return {
    config,
    logger,
    store,
    providers,
    ingest,
    blobs: options.blobs,
    search: (request) => retrieve({ ...retrievalParts, ...request }),
    answer: (request) => answer({ ...retrievalParts, providers, contextTokens: config.CONTEXT_TOKENS }, request),
    close: async () => {
      await parser.close();
      await store.close();
    },
  };
}
