import { stat } from "node:fs/promises";
import { discoverFiles, sourceFiles } from "../ingest/discover.js";
import { ingestFiles } from "../ingest/pipeline.js";
import type { IngestSettings } from "../ingest/settings.js";
import type { BlobStore } from "./blobs/blob-store.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { Providers } from "./providers/registry.js";
import type { VectorStore } from "./store/vector-store.js";

/**
 * First start on a fresh clone: ingest the sample documents into the `default`
 * collection so that the service answers at once (by keyword with no keys, fully with
 * them). Runs only while `default` does not exist yet; Node only (reads files).
 */
export async function seedSamples(deps: { store: VectorStore; providers: Providers; config: Config; logger: Logger; ingest: IngestSettings; blobs?: BlobStore }): Promise<void> {
  const folder = deps.config.SAMPLE_DOCS;
  if (!folder || !(await stat(folder).then((s) => s.isDirectory(), () => false))) return;
  if ((await deps.store.listCollections()).some((c) => c.name === "default")) return;
  const found = await discoverFiles([folder]);
  const collection = await deps.store.openCollection("default", { embedModel: deps.config.EMBED_MODEL, dims: deps.ingest.dims });
  const report = await ingestFiles(sourceFiles(found.files), {
    collectionName: "default",
    collection,
    embedder: deps.providers.embedder,
    chunkOptions: deps.ingest.chunkOptions,
    settingsKey: deps.ingest.settingsKey,
    blobs: deps.blobs,
  });
  await collection.optimize();
  const failed = report.files.filter((f) => f.status === "failed");
  deps.logger.info("sample documents ingested", { collection: "default", documents: report.files.length - failed.length, chunks: report.chunksWritten, vectors: Boolean(deps.providers.embedder), failed: failed.length });
}
