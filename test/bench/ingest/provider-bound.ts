/**
 * Provider-bound ingest: the long PDFs and the XQuAD articles through `runIngest` (the code behind
 * `npm run ingest`) against a fake with `latencyMs` per request that enforces `rpm` over
 * any rolling minute, with NIM_RPM set to the same limit. Small batches make the run
 * outlast a few minutes, so the limit is really exercised. The rate is the requests sent
 * in the run's whole minutes (from the first request) per minute.
 */
import path from "node:path";
import { runIngest } from "../../../ingest/command.js";
import { openLanceStore } from "../../../src/store/lance-store.js";
import { E5, writeXquadArticles } from "../../helpers/ingest-data.js";
import { startFakeProvider } from "../../fake-provider/index.js";

export interface ProviderBoundResult {
  chunks: number;
  stored: number;
  requests: number;
  limited: number;
  minutes: number;
  perMinute: number;
  elapsedS: number;
}

export async function measureProviderBound(root: string, options: { latencyMs: number; rpm: number; batch: number; pdfs: string }): Promise<ProviderBoundResult> {
  const fake = await startFakeProvider({ flavor: "nim", latencyMs: options.latencyMs, rpmLimit: options.rpm });
  try {
    const articles = path.join(root, "xquad");
    await writeXquadArticles(articles, "en");
    await writeXquadArticles(articles, "zh");
    const uri = path.join(root, "provider-db");
    const env = { NVIDIA_API_KEY: "test-key", NIM_BASE_URL: fake.url, NVCF_STATUS_URL: fake.statusUrl, NIM_RPM: String(options.rpm), LANCEDB_URI: uri, EMBED_BATCH_SIZE: String(options.batch) };
    let output = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
    const started = performance.now();
    let code: number;
    try {
      code = await runIngest([options.pdfs, articles], env);
    } finally {
      process.stdout.write = write;
    }
    const elapsedS = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`ingest exited ${code}:\n${output}`);
    const chunks = Number(/chunks: (\d+) written/.exec(output)?.[1]);
    const embeds = fake.requests.filter((r) => r.path.endsWith("/embeddings"));
    const accepted = embeds.filter((r) => r.status === 200);
    const first = accepted[0]!.at;
    const minutes = Math.floor((accepted.at(-1)!.at - first) / 60_000);
    const inWholeMinutes = accepted.filter((r) => r.at < first + minutes * 60_000).length;
    return {
      chunks,
      stored: await storedChunks(uri),
      requests: accepted.length,
      limited: embeds.filter((r) => r.status === 429).length,
      minutes,
      perMinute: minutes > 0 ? inWholeMinutes / minutes : Number.NaN,
      elapsedS,
    };
  } finally {
    await fake.close();
  }
}

async function storedChunks(uri: string): Promise<number> {
  const store = await openLanceStore({ uri });
  try {
    return await (await store.openCollection("default", { embedModel: E5.id, dims: E5.dims, create: false })).count();
  } finally {
    await store.close();
  }
}
