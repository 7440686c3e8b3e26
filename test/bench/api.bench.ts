/**
 * HTTP API benchmark (a plain script, not a vitest suite):
 *
 *   npm run bench:api [-- --chunks 100000 --duration 5 --runs 40 --asks 20 --delay 200 --index --db DIR]
 *
 * 1. Seeds a LanceDB collection of `--chunks` chunks straight through the store
 *    (`replaceDocument`, 1000 chunks per document), texts cut from the XQuAD articles
 *    (English and Chinese, CC BY-SA 4.0, test/fixtures/qa) with variations, vectors from
 *    the fake embedder; plus, as a baseline where search is cheap, the 48 XQuAD articles
 *    ingested by the real ingest command.
 * 2. Starts the real server (child process) against the fake NIM in this process, and drives
 *    `POST /v1/search` with autocannon at 1 to 64 connections for `--duration` s each
 *    (longer when the server is too slow for every connection to finish a few requests):
 *    `"mode": "vector"`, and the default hybrid mode at one connection.
 * 3. Runs the same top-k query in-process (fake embedding + `collection.search` or
 *    `hybridSearch`) `--runs` times: the ratio to the HTTP latency is what HTTP, JSON and
 *    the embedding round trip to the provider cost.
 * 4. Time to the first `delta` of a streamed ask with the fake answering after 0 and `--delay`
 *    ms (the delay applies to the embedding and to the chat call alike), median of `--asks`;
 *    the service's own overhead is that time minus the fake's, measured directly.
 *
 * After seeding, `optimize()` runs as after an ingest (full-text index, compaction) but
 * without the vector index, so vector search is brute force: slow by design over 100k
 * 1024-dim vectors. `--index` lets it build the vector index too (issue #5). `--db DIR`
 * seeds into DIR and keeps it; a later run with the same DIR and `--chunks` reuses it.
 *
 * Brute-force search holds a lot of memory per query in flight (hundreds of MB at 100k
 * chunks), so the server's RSS is sampled, and a row whose concurrency would need more
 * memory than half of what is free (extrapolated from the rows before it) is skipped.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { cpus, freemem, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildMessages } from "../../src/answer/prompt.js";
import { DEFAULT_VECTOR_INDEX, openLanceStore } from "../../src/store/lance-store.js";
import type { ChunkRecord, Collection } from "../../src/store/vector-store.js";
import { fakeEmbedding, startFakeProvider } from "../fake-provider/index.js";
import { type RunningServer, childEnv, readSse, runIngestCommand, startServer } from "../helpers/server.js";
import { hybridSearch } from "../../src/retrieval/retrieve.js";

// autocannon ships no types; these are the fields used here.
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: Array<{ method: string; path: string; headers: Record<string, string>; body: string }>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const { values } = parseArgs({
  options: {
    chunks: { type: "string", default: "100000" },
    duration: { type: "string", default: "5" },
    runs: { type: "string", default: "40" },
    asks: { type: "string", default: "20" },
    delay: { type: "string", default: "200" },
    index: { type: "boolean", default: false },
    db: { type: "string" },
  },
});
const numbers = { chunks: Number(values.chunks), duration: Number(values.duration), runs: Number(values.runs), asks: Number(values.asks), delay: Number(values.delay) };
for (const [name, value] of Object.entries(numbers)) {
  const min = name === "delay" ? 0 : 1;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`Expected \`--${name}\` to be a whole number >= ${min}, got \`${value}\``);
}
const options = { ...numbers, index: values.index, db: values.db };

/** XQuAD, kept in the repo (test/fixtures/LICENCES.md): this benchmark needs no ../shared. */
const QA = fileURLToPath(new URL("../fixtures/qa/", import.meta.url));
const EMBED_MODEL = "nvidia/nv-embedqa-e5-v5";
const PER_DOCUMENT = 1000;
const TOP_K = 6;
type Mode = "vector" | "hybrid";
/** Label of the big collection, e.g. `100k`. */
const BIG = options.chunks >= 1000 ? `${Math.round(options.chunks / 1000)}k` : String(options.chunks);

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(7);
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const gb = (bytes: number) => (Number.isNaN(bytes) ? "n/a" : bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`);

/** Resident memory of a process (Linux /proc); NaN elsewhere. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) * 1024;
}

/** mulberry32: a small seeded PRNG, so every run seeds the same texts. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Squad {
  data: Array<{ title: string; paragraphs: Array<{ context: string; qas: Array<{ question: string }> }> }>;
}
interface Article {
  title: string;
  sentences: string[];
  zh: boolean;
}

const squads = await Promise.all((["en", "zh"] as const).map(async (lang) => ({ lang, squad: JSON.parse(await readFile(path.join(QA, `xquad-part1.${lang}.json`), "utf8")) as Squad })));
const articles: Article[] = squads.flatMap(({ lang, squad }) =>
  squad.data.map((a) => ({
    title: a.title.replace(/_/g, " "),
    zh: lang === "zh",
    sentences: a.paragraphs.flatMap((p) =>
      p.context
        .split(lang === "zh" ? /(?<=[。！？])/u : /(?<=[.!?])\s+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  })),
);
/** A handful of real questions, both languages, for the search load. */
const QUERIES = squads.flatMap(({ squad }) => [0, 3, 11, 12].map((i) => squad.data[i]!.paragraphs[0]!.qas[0]!.question));

/** 3-6 consecutive sentences of a random article, sometimes reordered, tagged so every chunk differs. */
function chunkText(next: () => number, doc: number, index: number): { text: string; title: string } {
  const article = articles[Math.floor(next() * articles.length)]!;
  const length = 3 + Math.floor(next() * 4);
  const start = Math.floor(next() * Math.max(1, article.sentences.length - length));
  const picked = article.sentences.slice(start, start + length);
  if (next() < 0.3) picked.reverse();
  const tag = article.zh ? `（第 ${doc} 卷第 ${index} 条）` : ` (volume ${doc}, note ${index})`;
  return { text: picked.join(article.zh ? "" : " ") + tag, title: article.title };
}

async function seed(collection: Collection, chunks: number, seedValue: number): Promise<{ embedMs: number; writeMs: number; firstWriteMs: number; lastWriteMs: number }> {
  const next = random(seedValue);
  let embedMs = 0;
  let writeMs = 0;
  const writes: number[] = [];
  for (let doc = 0; doc * PER_DOCUMENT < chunks; doc++) {
    const documentId = hex(seedValue, 8) + hex(doc, 24);
    const count = Math.min(PER_DOCUMENT, chunks - doc * PER_DOCUMENT);
    let started = performance.now();
    const records: ChunkRecord[] = Array.from({ length: count }, (_, i) => {
      const { text, title } = chunkText(next, doc, i);
      return {
        id: `${documentId}:${i}`,
        documentId,
        source: `bench/volume-${doc}.md`,
        title,
        page: null,
        pageEnd: null,
        heading: "",
        chunkIndex: i,
        text,
        contentHash: hex(doc, 64),
        vector: fakeEmbedding(text),
        ingestedAt: Date.now(),
      };
    });
    embedMs += performance.now() - started;
    started = performance.now();
    await collection.writeDocuments([{ documentId: documentId, chunks: records }]);
    writes.push(performance.now() - started);
    writeMs += writes.at(-1)!;
    if (doc % 10 === 9) process.stderr.write(`  seeded ${(doc + 1) * PER_DOCUMENT} chunks\r`);
  }
  process.stderr.write("\n");
  return { embedMs, writeMs, firstWriteMs: writes[0]!, lastWriteMs: writes.at(-1)! };
}

const root = options.db ? path.resolve(options.db) : await mkdtemp(path.join(tmpdir(), "askdocs-bench-api-"));
const lancedb = path.join(root, "lancedb");
const fake = await startFakeProvider({ flavor: "nim" });
// Upkeep as after an ingest run (full-text index, compaction), with the vector index only on --index.
const store = await openLanceStore({ uri: lancedb, vectorIndex: options.index ? DEFAULT_VECTOR_INDEX : { ...DEFAULT_VECTOR_INDEX, minRows: Number.MAX_SAFE_INTEGER } });
let server: RunningServer | undefined;
// Ctrl-C must not leave the server running.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void (server?.stop(2000) ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
const print = (line = "") => console.log(line);

try {
  // 1. Seeding (or reusing a --db seeded before with the same --chunks).
  const existing = new Map((await store.listCollections()).map((c) => [c.name, c.chunks]));
  const reuse = existing.get("bench") === options.chunks && existing.has("small");
  if (!reuse) for (const name of ["bench", "small"]) await store.dropCollection(name);
  const big = await store.openCollection("bench", { embedModel: EMBED_MODEL, dims: 1024 });
  const seedStarted = performance.now();
  const seeded = reuse ? undefined : await seed(big, options.chunks, 1);
  const seedMs = performance.now() - seedStarted;
  // The small baseline: the XQuAD articles through the real ingest command (its own process,
  // which also runs the upkeep). Not seeded here: a second collection created in one process
  // gets no full-text index (lance-upkeep's FTS_INDEX is one Index object, usable once).
  if (!reuse) {
    const articlesDir = path.join(root, "xquad");
    await mkdir(articlesDir, { recursive: true });
    for (const { lang, squad } of squads) {
      for (const [i, a] of squad.data.entries()) await writeFile(path.join(articlesDir, `${lang}-${i}.md`), `# ${a.title.replace(/_/g, " ")}\n\n${a.paragraphs.map((p) => p.context.trim()).join("\n\n")}\n`);
    }
    const ingest = await runIngestCommand([articlesDir, "--collection", "small"], childEnv(fake, lancedb, { NIM_RPM: "100000" }));
    if (ingest.code !== 0) throw new Error(`ingest of the small collection failed:\n${ingest.stdout}\n${ingest.stderr}`);
  }
  const tiny = await store.openCollection("small", { embedModel: EMBED_MODEL, dims: 1024, create: false });
  const SMALL = `${await tiny.count()} (xquad)`;
  const counted = await big.count();
  if (counted !== options.chunks) throw new Error(`seeded ${counted} chunks, expected ${options.chunks}`);

  const upkeepStarted = performance.now();
  const upkeep = await big.upkeep!();
  const indexNote = `optimize() as after ingest, ${((performance.now() - upkeepStarted) / 1000).toFixed(1)} s: ${upkeep.createdIndexes.join(", ") || "no new index"}, ${upkeep.compactedFragments} fragments compacted; vector search ${options.index ? "through the IVF-PQ index" : "brute force (no vector index; --index builds it)"}`;

  print(`\naskdocs API benchmark · node ${process.version} · ${cpus().length} CPUs`);
  if (seeded) {
    print(`seeding ${counted} chunks (${counted / PER_DOCUMENT} documents × ${PER_DOCUMENT}): ${(seedMs / 1000).toFixed(1)} s = ${Math.round(counted / (seedMs / 1000))} chunks/s`);
    print(
      `  fake embedding + records ${(seeded.embedMs / 1000).toFixed(1)} s · LanceDB replaceDocument ${(seeded.writeMs / 1000).toFixed(1)} s (first ${seeded.firstWriteMs.toFixed(0)} ms, last ${seeded.lastWriteMs.toFixed(0)} ms per 1000-chunk merge)`,
    );
  } else {
    print(`reusing ${counted} chunks seeded before in ${lancedb}`);
  }
  print(`  ${BIG}: ${indexNote}`);

  // 2. The server, with pacing generous enough that it is not what is measured.
  server = await startServer(childEnv(fake, lancedb, { NIM_RPM: "100000", NIM_CONCURRENCY: "64" }));
  const running = server;
  const search = (collection: string, mode: Mode) =>
    QUERIES.map((query) => ({ method: "POST", path: "/v1/search", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, collection, top_k: TOP_K, mode }) }));
  const startRss = await rssOf(running.child.pid!);
  for (const body of [...search("bench", "vector").slice(0, 2), ...search("bench", "hybrid").slice(0, 2)]) {
    const response = await fetch(`${running.url}/v1/search`, { method: "POST", headers: body.headers, body: body.body });
    if (response.status !== 200) throw new Error(`warm-up search: HTTP ${response.status} ${await response.text()}\nserver log:\n${running.log.slice(-2000)}`);
  }

  const http: Array<{ label: string; mode: Mode; connections: number; seconds: number; result?: AutocannonResult; baseRss: number; peakRss: number; skipped?: string }> = [];
  const ROWS: Array<[string, string, Mode, number]> = [
    [BIG, "bench", "vector", 1],
    [BIG, "bench", "vector", 4],
    [BIG, "bench", "vector", 16],
    [BIG, "bench", "vector", 64],
    [BIG, "bench", "hybrid", 1],
    [SMALL, "small", "vector", 1],
    [SMALL, "small", "vector", 16],
    [SMALL, "small", "vector", 64],
  ];
  let best = 0;
  for (const [label, collection, mode, connections] of ROWS) {
    const same = http.filter((row) => row.label === label && row.mode === mode && row.result);
    if (same.length === 0) best = 0;
    // Memory per request in flight, from the rows run so far (the growth between the last two,
    // or during the first): refuse a row that would not fit in half the free memory.
    const last = same.at(-1);
    if (last) {
      const before = same.at(-2);
      const perRequest = Math.max(0, before ? (last.peakRss - before.peakRss) / (last.connections - before.connections) : (last.peakRss - last.baseRss) / last.connections);
      const needed = perRequest * (connections - last.connections);
      if (needed > 0.5 * freemem()) {
        http.push({ label, mode, connections, seconds: 0, baseRss: Number.NaN, peakRss: Number.NaN, skipped: `skipped: ~${gb(needed)} more needed (${gb(perRequest)} per request in flight), ${gb(freemem())} free` });
        continue;
      }
    }
    // Long enough for every connection to finish a few requests, or the slow rows measure only the ramp.
    const seconds = Math.min(60, Math.max(options.duration, best > 0 ? Math.ceil((4 * connections) / best) : 0));
    const baseRss = await rssOf(running.child.pid!);
    let peakRss = baseRss;
    const sampler = setInterval(() => void rssOf(running.child.pid!).then((rss) => (peakRss = Math.max(peakRss, rss))), 100);
    try {
      const result = await autocannon({ url: running.url, connections, duration: seconds, timeout: 120, requests: search(collection, mode) });
      best = Math.max(best, result.requests.total / result.duration);
      http.push({ label, mode, connections, seconds, result, baseRss, peakRss });
    } finally {
      clearInterval(sampler);
    }
  }

  // 3. The same query in-process: embedding + top-k search on the store, as the route runs it.
  const inProcess = async (collection: Collection, mode: Mode) => {
    const times: number[] = [];
    for (let i = -3; i < options.runs; i++) {
      const query = QUERIES[(i + QUERIES.length) % QUERIES.length]!;
      const started = performance.now();
      const vector = fakeEmbedding(query);
      await (mode === "vector" ? collection.vectorSearch(vector, { topK: TOP_K }) : hybridSearch(collection, query, vector, { topK: TOP_K, maxTopK: 1000, fusion: "relative" }));
      if (i >= 0) times.push(performance.now() - started);
    }
    return { p50: median(times), p99: quantile(times, 0.99) };
  };
  const direct = new Map<string, { p50: number; p99: number }>();
  for (const [label, handle] of [
    [BIG, big],
    [SMALL, tiny],
  ] as const) {
    for (const mode of ["vector", "hybrid"] as const) direct.set(`${label} ${mode}`, await inProcess(handle, mode));
  }

  print(`\nPOST /v1/search (top_k ${TOP_K}, ${QUERIES.length} queries in turn) with autocannon, vs the same in-process (fake embedding + collection search, ${options.runs} runs)`);
  print(`server RSS after start ${gb(startRss)}`);
  print("collection   mode     conns  secs     req/s   p50 ms   p99 ms  non-2xx/err  server peak RSS   in-process p50/p99 ms   HTTP p50 ÷ in-process p50");
  for (const { label, mode, connections, seconds, result, peakRss, skipped } of http) {
    const head = `${label.padEnd(12)} ${mode.padEnd(7)} ${String(connections).padStart(6)}`;
    if (!result) {
      print(`${head}   ${skipped}`);
      continue;
    }
    const inProc = direct.get(`${label} ${mode}`)!;
    const rps = result.requests.total / result.duration;
    const ratio = connections === 1 ? `${(result.latency.p50 / inProc.p50).toFixed(2)}× (${result.latency.p50 - inProc.p50 >= 0 ? "+" : ""}${(result.latency.p50 - inProc.p50).toFixed(1)} ms)` : "";
    print(
      `${head} ${String(seconds).padStart(5)} ${rps.toFixed(1).padStart(9)} ${ms(result.latency.p50)}  ${ms(result.latency.p99)}  ${`${result.non2xx}/${result.errors}`.padStart(11)}  ${gb(peakRss).padStart(15)}   ${`${inProc.p50.toFixed(1)} / ${inProc.p99.toFixed(1)}`.padStart(21)}   ${ratio}`,
    );
  }

  // 4. Time to the first delta of a streamed ask, with the fake answering after D ms.
  const timeToFirstDelta = async (collection: string, question: string) => {
    const started = performance.now();
    const response = await fetch(`${running.url}/v1/ask`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question, collection, stream: true }) });
    let first = Number.NaN;
    for await (const event of readSse(response)) {
      if (event.event === "delta" && Number.isNaN(first)) first = performance.now() - started;
      if (event.event === "error") throw new Error(`streamed ask failed: ${event.data}`);
    }
    if (Number.isNaN(first)) throw new Error("a streamed ask sent no delta");
    return first;
  };
  /** What the fake itself takes: an embedding round trip, and a chat stream's first chunk for a prompt of the real size. */
  const fakeCosts = async (question: string, collection: Collection) => {
    const hits = await collection.vectorSearch(fakeEmbedding(question), { topK: TOP_K });
    const headers = { "content-type": "application/json", authorization: "Bearer test-key" };
    const embed: number[] = [];
    const chat: number[] = [];
    for (let i = 0; i < 5; i++) {
      let started = performance.now();
      await (await fetch(`${fake.url}/embeddings`, { method: "POST", headers, body: JSON.stringify({ model: EMBED_MODEL, input: [question], input_type: "query" }) })).arrayBuffer();
      embed.push(performance.now() - started);
      started = performance.now();
      const response = await fetch(`${fake.url}/chat/completions`, { method: "POST", headers, body: JSON.stringify({ model: "meta/llama-3.3-70b-instruct", messages: buildMessages(question, hits), stream: true }) });
      const reader = response.body!.getReader();
      await reader.read();
      chat.push(performance.now() - started);
      await reader.cancel();
    }
    return { embed: median(embed), chat: median(chat) };
  };

  print(`\nstreamed POST /v1/ask (default: hybrid retrieval, ${"nim:meta/llama-3.3-70b-instruct"}): time to first delta, median of ${options.asks} asks; fake latency D on the embedding and on the chat call`);
  print("collection     D ms   first delta ms   − 2·D ms   fake embed+chat ms   service overhead ms   of which search ms (hybrid, in-process)");
  for (const [label, collection, handle] of [
    [SMALL, "small", tiny],
    [BIG, "bench", big],
  ] as const) {
    for (const delay of [0, options.delay]) {
      fake.set({ latencyMs: delay });
      await timeToFirstDelta(collection, QUERIES[0]!); // warm
      const times: number[] = [];
      for (let i = 0; i < options.asks; i++) times.push(await timeToFirstDelta(collection, QUERIES[i % QUERIES.length]!));
      const costs = await fakeCosts(QUERIES[0]!, handle);
      const ttfd = median(times);
      const searchMs = direct.get(`${label} hybrid`)!.p50;
      print(
        `${label.padEnd(12)} ${String(delay).padStart(6)} ${ms(ttfd).padStart(16)} ${ms(ttfd - 2 * delay).padStart(10)} ${ms(costs.embed + costs.chat).padStart(20)} ${ms(ttfd - costs.embed - costs.chat).padStart(21)} ${ms(searchMs).padStart(20)}`,
      );
    }
  }
  fake.set({ latencyMs: 0 });
} finally {
  const exit = await server?.stop();
  if (exit && exit.code !== 0) console.error(`server exited with ${JSON.stringify(exit)}; log:\n${server!.log.slice(-4000)}`);
  await store.close();
  await fake.close();
  if (!options.db) await rm(root, { recursive: true, force: true });
}
