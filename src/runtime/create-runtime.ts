/**
 * The runtime factory: configuration and a store in, a Runtime out. Every entry point
 * uses it: the Node server, the ingest and eval commands, the Worker, the MCP stdio
 * server. It is a composition root, so it may wire the `ingest/` pipeline into the core;
 * like everything a Worker bundles, it imports nothing Node-only.
 */
import { detectFormat, LoadError, SUPPORTED_EXTENSIONS } from "../../ingest/loaders/index.js";
import { type DocumentParser, createInlineParser } from "../../ingest/document-parser.js";
import type { Sha256 } from "../../ingest/identity.js";
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
import type { LeaseStore } from "../coordination/lease.js";
import type { VectorStore } from "../store/vector-store.js";
import type { IngestService } from "./ingest-service.js";
import type { Runtime } from "./runtime.js";
import { createRuntimeMetrics } from "./runtime-metrics.js";
import { applyStoreRoles } from "./store-roles.js";

export interface CreateRuntimeOptions {
  config: Config;
  store: VectorStore;
  /** Default: silent. */
  logger?: Logger;
  /** Where ingest keeps documents' original files; default none (sources cannot be opened). */
  blobs?: BlobStore;
  /** Provider transport settings (an injected fetch, shorter back-offs in tests). */
  providers?: Omit<CreateProvidersOptions, "logger" | "countTokens" | "onAttempt">;
  /**
   * Makes the parser ingest uses, given the OCR reader when OCR_MODEL is configured.
   * Default: parsing in this thread, without OCR. Node injects a worker pool (node-runtime.ts).
   */
  createParser?: (ocr: ImageTextReader | undefined) => DocumentParser;
  /** Hashes ingested documents (default: Web Crypto). Node injects node:crypto's, synchronous. */
  sha256?: Sha256;
  /** Cross-process write leases (object storage); none on a local folder, where LanceDB's own commits suffice. */
  leases?: LeaseStore;
}

/** ".pdf, .md, … and .text", as upload errors name them. */
const SUPPORTED = `${SUPPORTED_EXTENSIONS.slice(0, -1).join(", ")} and ${SUPPORTED_EXTENSIONS.at(-1)}`;

export function createRuntime(options: CreateRuntimeOptions): Runtime {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = createRuntimeMetrics(options.store);
  const store = applyStoreRoles(options.store, { upkeep: config.UPKEEP === "on", leases: options.leases && { store: options.leases, ttlMs: config.LEASE_TTL_MS }, onUpkeep: metrics.upkeep });
  const settings = ingestSettings(embedModelProfile(config.EMBED_MODEL));
  const providers = createProviders(config, { ...options.providers, logger, countTokens: settings.countTokens, onAttempt: metrics.providerAttempt });
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
    settingsKey: settings.settingsKey,
    assertSupported(name) {
      if (!name || !detectFormat(name)) throw new LoadError("unsupported", `Unsupported file type "${name}": askdocs reads ${SUPPORTED}.`);
    },
    async ingest(collectionName, collection, files, run = {}) {
      const report = await ingestFiles(files, {
        ...run,
        collectionName,
        collection,
        embedder: providers.embedder,
        chunkOptions: settings.chunkOptions,
        settingsKey: settings.settingsKey,
        blobs: options.blobs,
        parser,
        sha256: options.sha256,
      });
      metrics.ingested(report);
      return report;
    },
  };

  return {
    config,
    logger,
    store,
    providers,
    ingest,
    metrics: metrics.registry,
    blobs: options.blobs,
    async search(request) {
      const started = performance.now();
      const retrieval = await retrieve({ ...retrievalParts, ...request });
      metrics.searched(retrieval.mode, (performance.now() - started) / 1000);
      return retrieval;
    },
    answer: (request) => answer({ ...retrievalParts, providers, contextTokens: config.CONTEXT_TOKENS }, request),
    close: async () => {
      await parser.close();
      await store.close();
    },
  };
}
