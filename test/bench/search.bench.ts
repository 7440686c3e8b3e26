/**
 * `npm run bench:search [-- --sizes 100000,1000000 --queries 200]`
 *
 * Search latency (p50/p99) and recall@10 against exact brute force, through askdocs' own
 * store (openLanceStore with its default vector-index policy), on seeded clustered
 * 1024-dim vectors (test/bench/vectors.ts): before the vector index (LanceDB brute
 * force), and after the upkeep pass that builds it; vector-only and hybrid; with the
 * index build time and the process's peak RSS. A benchmark, not a test: it prints.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openLanceStore } from "../../src/store/lance-store.js";
import type { ChunkRecord, Collection } from "../../src/store/vector-store.js";
import { ExactTopK, batchesOf, EmbeddingModel, prng, queryVectors, recallAt } from "./vectors.js";
import { hybridSearch } from "../../src/retrieval/retrieve.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100000,1000000" }, queries: { type: "string", default: "200" }, "doc-size": { type: "string", default: "2000" } } });
const sizes = values.sizes.split(",").map(Number);
const queryCount = Number(values.queries);
const docSize = Number(values["doc-size"]);
const DIMS = 1024;
const K = 10;

const rssPeak = () => process.resourceUsage().maxRSS * 1024;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;

/** Short pseudo-text per chunk from a 5,000-word vocabulary, so keyword search has work to do. */
const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
function textOf(i: number): string {
  const rand = prng(i + 17);
  return Array.from({ length: 40 }, () => vocabulary[Math.floor(rand() ** 2 * vocabulary.length)]).join(" ");
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

interface Row {
  size: number;
  phase: string;
  mode: string;
  p50: number;
  p99: number;
  recall?: number;
}

async function measure(collection: Collection, queries: Float32Array[], exact: ExactTopK, size: number, phase: string, rows: Row[]) {
  const chunkIndex = (id: string) => {
    const [doc, n] = id.split(":");
    return Number(doc!.slice(1)) * docSize + Number(n);
  };
  for (const mode of ["vector", "hybrid"] as const) {
    const latencies: number[] = [];
    const recalls: number[] = [];
    for (let q = 0; q < queries.length; q++) {
      const text = textOf(10_000_000 + q)
        .split(" ")
        .slice(0, 5)
        .join(" ");
      const [hits, ms] = await timed(() => (mode === "vector" ? collection.vectorSearch(queries[q]!, { topK: K }) : hybridSearch(collection, text, queries[q]!, { topK: K, maxTopK: 1000, fusion: "relative" })));
      latencies.push(ms);
      if (mode === "vector")
        recalls.push(
          recallAt(
            hits.map((h) => chunkIndex(h.id)),
            exact.top(q),
          ),
        );
    }
    rows.push({ size, phase, mode, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), ...(recalls.length ? { recall: recalls.reduce((a, b) => a + b, 0) / recalls.length } : {}) });
    console.log(
      `  ${phase} ${mode}: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms${recalls.length ? `, recall@10 ${(recalls.reduce((a, b) => a + b, 0) / recalls.length).toFixed(3)}` : ""}`,
    );
  }
}

async function main() {
  const model = new EmbeddingModel({ dims: DIMS });
  const queries = queryVectors({ dims: DIMS, count: queryCount }, model);
  const rows: Row[] = [];
  const builds: string[] = [];
  for (const size of sizes) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "askdocs-bench-search-"));
    const store = await openLanceStore({ uri: dir });
    try {
      const collection = await store.openCollection("bench", { embedModel: "bench", dims: DIMS });
      const exact = new ExactTopK(queries, K);
      console.log(`${size.toLocaleString()} chunks: seeding…`);
      const t0 = performance.now();
      let pending: ChunkRecord[] = [];
      for (const batch of batchesOf(model, size, docSize)) {
        exact.add(batch);
        const doc = `d${batch.start / docSize}`;
        pending = Array.from({ length: batch.rows }, (_, r) => ({
          id: `${doc}:${r}`,
          documentId: doc,
          source: `bench/${doc}.md`,
          title: doc,
          page: null,
          pageEnd: null,
          heading: "",
          chunkIndex: r,
          text: textOf(batch.start + r),
          contentHash: "bench",
          vector: batch.data.subarray(r * DIMS, (r + 1) * DIMS),
          ingestedAt: 0,
        }));
        await collection.writeDocuments([{ documentId: doc, chunks: pending }]);
      }
      const seedMs = performance.now() - t0;
      console.log(`  seeded in ${(seedMs / 1000).toFixed(1)} s; peak RSS so far ${mb(rssPeak())}`);
      await measure(collection, queries, exact, size, "no index", rows);
      const [report, buildMs] = await timed(() => collection.upkeep!());
      builds.push(`| ${size.toLocaleString()} | ${(seedMs / 1000).toFixed(0)} s | ${report.createdIndexes.join(", ") || "none"} | ${(buildMs / 1000).toFixed(1)} s | ${mb(rssPeak())} |`);
      console.log(`  upkeep (${report.createdIndexes.join(", ") || "no new index"}) in ${(buildMs / 1000).toFixed(1)} s; peak RSS ${mb(rssPeak())}`);
      await measure(collection, queries, exact, size, "indexed", rows);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log("\n| chunks | phase | mode | p50 ms | p99 ms | recall@10 vs brute force |\n|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.size.toLocaleString()} | ${r.phase} | ${r.mode} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.recall === undefined ? "—" : r.recall.toFixed(3)} |`);
  console.log("\n| chunks | seeding | indexes created | upkeep (index build) | peak RSS |\n|---|---|---|---|---|");
  for (const b of builds) console.log(b);
}

await main();
