/**
 * The metrics a runtime keeps, by name, so every door records into the same series:
 * provider attempts and queue waits, ingest files and chunks, search latency, upkeep
 * passes, and store sizes read at scrape time. HTTP request metrics are the HTTP app's
 * (src/http/http-metrics.ts), in the same registry.
 */
import { createMetrics, type Metrics } from "../observability/metrics.js";
import type { AttemptInfo } from "../providers/transport.js";
import type { MaintenanceReport, VectorStore } from "../store/vector-store.js";
import type { IngestReport } from "./ingest-service.js";

export interface RuntimeMetrics {
  readonly registry: Metrics;
  providerAttempt(info: AttemptInfo): void;
  ingested(report: IngestReport): void;
  searched(mode: string, seconds: number): void;
  upkeep(collection: string, outcome: "ok" | "failed", report?: MaintenanceReport): void;
}

export function createRuntimeMetrics(store: VectorStore): RuntimeMetrics {
  const registry = createMetrics();
  const providerRequests = registry.counter("askdocs_provider_requests_total", "Provider request attempts by provider and outcome (ok or the error kind).");
  const queueWait = registry.histogram("askdocs_provider_queue_wait_seconds", "Time a provider request waited in its pacing queue.");
  const ingestFiles = registry.counter("askdocs_ingest_files_total", "Files through the ingest pipeline by status (ingested, unchanged, failed).");
  const ingestChunks = registry.counter("askdocs_ingest_chunks_total", "Chunks written by ingest.");
  const searchLatency = registry.histogram("askdocs_search_duration_seconds", "Retrieval latency (embedding, search, fusion, rerank) by mode.");
  const upkeepRuns = registry.counter("askdocs_upkeep_runs_total", "Index upkeep passes run by this process, by outcome.");
  const documents = registry.gauge("askdocs_store_documents", "Documents per collection.");
  const chunks = registry.gauge("askdocs_store_chunks", "Chunks per collection.");
  const storeUp = registry.gauge("askdocs_store_up", "1 when the store answered the last scrape, else 0.");

  registry.onScrape(async () => {
    documents.reset();
    chunks.reset();
    try {
      for (const c of await store.listCollections()) {
        documents.set({ collection: c.name }, c.documents);
        chunks.set({ collection: c.name }, c.chunks);
      }
      storeUp.set({}, 1);
    } catch {
      storeUp.set({}, 0);
    }
  });

  return {
    registry,
    providerAttempt(info) {
      providerRequests.inc({ provider: info.provider, outcome: info.outcome });
      queueWait.observe({ provider: info.provider }, info.queueWaitMs / 1000);
    },
    ingested(report) {
      for (const file of report.files) ingestFiles.inc({ status: file.status });
      ingestChunks.inc({}, report.chunksWritten);
    },
    searched: (mode, seconds) => searchLatency.observe({ mode }, seconds),
    upkeep: (collection, outcome) => upkeepRuns.inc({ collection, outcome }),
  };
}
