/**
 * First start on a fresh clone: ingest the sample documents into the `default`
 * collection so that the service answers at once (by keyword with no keys, fully with
 * them). Runs only while `default` does not exist yet; Node only (reads files).
 */
import { stat } from "node:fs/promises";
import type { Runtime } from "../src/runtime/runtime.js";
import { discoverFiles, sourceFiles } from "./discover.js";

export async function seedSamples(rt: Runtime): Promise<void> {
  const folder = rt.config.SAMPLE_DOCS;
  if (
    !folder ||
    !(await stat(folder).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return;
  if ((await rt.store.listCollections()).some((c) => c.name === "default")) return;
  const found = await discoverFiles([folder]);
  const collection = await rt.store.openCollection("default", { embedModel: rt.config.EMBED_MODEL, dims: rt.ingest.dims });
  const report = await rt.ingest.ingest("default", collection, sourceFiles(found.files));
  await collection.upkeep?.();
  const failed = report.files.filter((f) => f.status === "failed");
  rt.logger.info("sample documents ingested", { collection: "default", documents: report.files.length - failed.length, chunks: report.chunksWritten, vectors: Boolean(rt.providers.embedder), failed: failed.length });
}
