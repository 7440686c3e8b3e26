/**
 * Scale-out benchmark (a plain script, not a vitest suite):
 *
 *   npm run bench:scale [-- --chunks 100000 --queries 200 --files 40]
 *
 * 1. Search through the API over object storage vs a local folder: seeds `--chunks` chunks
 *    (1000 per document, seeded random 1024-dim vectors, synthetic text) into a local
 *    LanceDB folder and into `s3+ddb://` on s3rver + dynalite started in this process,
 *    runs upkeep on both (vector index, full-text index), starts the real server on each,
 *    and sends `--queries` sequential `POST /v1/search` (vector, then hybrid) to each:
 *    p50/p99 and the S3/local ratio, in one run.
 * 2. Ingest throughput on `s3+ddb://`: the real ingest command over `--files` generated
 *    Markdown files in one process, then the same files split between two processes at
 *    once (two collections: one ingest run per collection is the rule), chunks/s.
 * The fake NIM in this process answers embeddings. Needs no ../shared data. On a 2-core
 * machine shared with other work the absolute figures are noisy; the ratios are the point.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openLanceStore } from "../../src/store/lance-store.js";
import { lanceStorageOptions } from "../../src/store/storage-location.js";
import type { ChunkRecord } from "../../src/store/vector-store.js";
import { startFakeProvider } from "../fake-provider/index.js";
import { parseSummary, runIngest } from "../helpers/ingest-cli.js";
import { startLocalObjectStore } from "../helpers/local-object-store.js";
import { childEnv, startServer } from "../helpers/server.js";
import { prng } from "./vectors.js";

const { values } = parseArgs({ options: { chunks: { type: "string", default: "100000" }, queries: { type: "string", default: "200" }, files: { type: "string", default: "40" } } });
const CHUNKS = Number(values.chunks);
const QUERIES = Number(values.queries);
const FILES = Number(values.files);
const DIMS = 1024;
const MODEL = "nvidia/nv-embedqa-e5-v5";
const WORDS = "harbour lighthouse keeper lamp storm tide wind ledger clerk district survey gale signal pier ferry cargo beacon chart reef current".split(" ");

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function seed(uri: string, storageOptions?: Record<string, string>): Promise<number> {
  const started = performance.now();
  const store = await openLanceStore({ uri, ...(storageOptions ? { storageOptions } : {}) });
  const collection = await store.openCollection("default", { embedModel: MODEL, dims: DIMS });
  const random = prng(7);
  for (let doc = 0; doc * 1000 < CHUNKS; doc++) {
    const chunks: ChunkRecord[] = [];
    for (let i = 0; i < Math.min(1000, CHUNKS - doc * 1000); i++) {
      const vector = new Float32Array(DIMS);
      let norm = 0;
      for (let d = 0; d < DIMS; d++) {
        vector[d] = random() - 0.5;
        norm += vector[d]! ** 2;
      }
      for (let d = 0; d < DIMS; d++) vector[d]! /= Math.sqrt(norm);
      const text = Array.from({ length: 40 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
      chunks.push({
        id: `d${doc}:${i}`,
        documentId: `d${doc}`,
        source: `doc-${doc}.md`,
        title: `Doc ${doc}`,
        page: null,
        pageEnd: null,
        heading: "",
        chunkIndex: i,
        text,
        contentHash: `h${doc}`,
        vector,
        ingestedAt: Date.now(),
      });
    }
    await collection.writeDocuments([{ documentId: `d${doc}`, chunks }]);
  }
  await collection.upkeep?.();
  await store.close();
  return (performance.now() - started) / 1000;
}

async function searchLatency(url: string, mode: string): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < QUERIES + 5; i++) {
    const query = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} records`;
    const started = performance.now();
    const response = await fetch(`${url}/v1/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, mode, top_k: 6 }) });
    await response.text();
    if (response.status !== 200) throw new Error(`search answered ${response.status}`);
    if (i >= 5) times.push(performance.now() - started); // the first few warm caches
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

function documentText(word: string): string {
  return `# Record ${word}\n\n${Array.from({ length: 3 }, (_, p) => Array.from({ length: 60 }, (_, k) => `${word} entry ${p}-${k} notes the tide, the wind and the lamp.`).join(" ")).join("\n\n")}\n`;
}

const root = await mkdtemp(path.join(tmpdir(), "askdocs-bench-scale-"));
const s3 = await startLocalObjectStore();
const fake = await startFakeProvider({ flavor: "nim" });
try {
  console.log(`search through the API at ${CHUNKS.toLocaleString("en")} chunks, ${QUERIES} sequential queries per row`);
  const local = path.join(root, "lancedb");
  const remote = s3.uri("bench");
  console.log(`seeded local folder in ${(await seed(local)).toFixed(0)} s; s3+ddb in ${(await seed(remote, lanceStorageOptions(s3.env))).toFixed(0)} s`);
  const rows: Record<string, Record<string, { p50: number; p99: number }>> = {};
  for (const [name, uri, extra] of [
    ["local", local, {}],
    ["s3+ddb", remote, s3.env],
  ] as const) {
    const server = await startServer(childEnv(fake, uri, { ...extra, UPKEEP: "off" }), 120_000);
    try {
      rows[name] = { vector: await searchLatency(server.url, "vector"), hybrid: await searchLatency(server.url, "hybrid") };
    } finally {
      await server.stop();
    }
  }
  console.log("mode    backend  p50 ms  p99 ms");
  for (const mode of ["vector", "hybrid"]) {
    for (const name of ["local", "s3+ddb"]) console.log(`${mode.padEnd(7)} ${name.padEnd(8)} ${rows[name]![mode]!.p50.toFixed(1).padStart(6)}  ${rows[name]![mode]!.p99.toFixed(1).padStart(6)}`);
    console.log(
      `${mode.padEnd(7)} ratio    ${(rows["s3+ddb"]![mode]!.p50 / rows.local![mode]!.p50).toFixed(2).padStart(6)}  ${(rows["s3+ddb"]![mode]!.p99 / rows.local![mode]!.p99).toFixed(2).padStart(6)}  (s3+ddb / local)`,
    );
  }

  console.log(`\ningest on s3+ddb://, ${FILES} generated files`);
  const corpus = path.join(root, "corpus");
  const halves = [path.join(corpus, "a"), path.join(corpus, "b")];
  for (const dir of halves) await mkdir(dir, { recursive: true });
  await Promise.all(Array.from({ length: FILES }, (_, i) => writeFile(path.join(halves[i % 2]!, `file${i}.md`), documentText(`word${i}`))));
  const env = childEnv(fake, s3.uri("ingest"), s3.env);
  const started = performance.now();
  const one = await runIngest([corpus, "--collection", "one"], env, 600_000);
  const oneSeconds = (performance.now() - started) / 1000;
  const oneChunks = parseSummary(one.stdout).chunks;
  const startedTwo = performance.now();
  const two = await Promise.all(halves.map((dir, i) => runIngest([dir, "--collection", `two${i}`], env, 600_000)));
  const twoSeconds = (performance.now() - startedTwo) / 1000;
  const twoChunks = two.reduce((n, run) => n + parseSummary(run.stdout).chunks, 0);
  if ([one, ...two].some((run) => run.code !== 0)) throw new Error(`an ingest failed:\n${[one, ...two].map((r) => r.stderr).join("\n")}`);
  console.log(`one process:   ${oneChunks} chunks in ${oneSeconds.toFixed(1)} s = ${(oneChunks / oneSeconds).toFixed(1)} chunks/s`);
  console.log(`two processes: ${twoChunks} chunks in ${twoSeconds.toFixed(1)} s = ${(twoChunks / twoSeconds).toFixed(1)} chunks/s (x${(oneSeconds / twoSeconds).toFixed(2)})`);
} finally {
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
}
