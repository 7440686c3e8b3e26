/**
 * Vector-index tuning benchmark (a plain script, not a vitest suite):
 *
 *   npx tsx test/bench/index-tuning.bench.ts [--sizes 2000,5000,10000,20000,50000,100000]
 *     [--configs flat,rq,rq4,hnsw,pq64] [--small-configs flat,rq] [--queries 200] [--verify 50]
 *     [--budget-min 25] [--skip-quirks] [--out results.json]
 *     [--profile default|hard] [--wait-quiet SECONDS] [--flat-queries K] [--seed 1]
 *
 * Configs (see CONFIGS): flat, pq64, pq128, rq (1 bit), rq4 (4 bits), hnsw (IVF_HNSW_SQ, one
 * partition), hnsw8, hnswpq, and rec: the recommendation alone, IVF_RQ 4 bits with sqrt(N)
 * partitions queried with nprobes 40 and refineFactor 2. Its clean check:
 *   npx tsx test/bench/index-tuning.bench.ts --configs rec --small-configs rec --wait-quiet 8
 * and at 1M rows (~15 min: JS exact top-k as ground truth, 10 flat queries for latency):
 *   npx tsx test/bench/index-tuning.bench.ts --sizes 1000000 --configs rec --small-configs "" \
 *     --queries 100 --verify 100 --flat-queries 10 --skip-quirks --budget-min 45
 *
 * Builds LanceDB tables (id utf8, text utf8, vector FixedSizeList(1024, Float32)
 * nullable) of clustered synthetic embeddings (./vectors.ts) in a temp dir, for every
 * size in --sizes (the first N vectors of one deterministic stream), and measures:
 *
 *  - brute force (no index) top-10 cosine latency p50/p99 at every size, whose results
 *    are the ground truth, checked against an exact top-k computed in JS (--verify queries);
 *  - at the largest size, for every index config in --configs: build time, CPU time,
 *    peak RSS during the build, index size, and over a grid of query settings
 *    (nprobes, refineFactor, ef): latency p50/p99 and mean recall@10 vs ground truth;
 *  - at the smaller sizes, the --small-configs (the threshold: when an index pays off);
 *  - LanceDB quirks: null vectors when training, too few rows, unindexed rows after an add.
 *
 * Queries run one at a time (a single client's latency), select id, text and _distance
 * (as the store's search selects scalar columns and the distance), limit 10, cosine.
 * Steps are skipped, in order, once --budget-min is spent. The temp dir is deleted at the end.
 * --wait-quiet S waits up to S s before each measurement for other processes to leave the
 * CPUs (this machine is shared); every row reports how many cores others used meanwhile.
 * --verify >= --queries makes the JS exact top-k the ground truth, and then LanceDB's flat
 * search runs only --flat-queries queries (for 1M rows: flat search takes seconds a query).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, RecordBatch, Schema, Struct, Table as ArrowTable, Utf8, makeData, vectorFromArray } from "apache-arrow";
import { EmbeddingModel, ExactTopK, PROFILES, batchesOf, dot, queryVectors, recallAt, type Batch } from "./vectors.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "2000,5000,10000,20000,50000,100000" },
    configs: { type: "string", default: "flat,rq,rq4,hnsw,pq64" },
    "small-configs": { type: "string", default: "flat,rq" },
    queries: { type: "string", default: "200" },
    verify: { type: "string", default: "50" },
    "budget-min": { type: "string", default: "25" },
    seed: { type: "string", default: "1" },
    profile: { type: "string", default: "default" },
    "skip-quirks": { type: "boolean", default: false },
    out: { type: "string" },
    "wait-quiet": { type: "string", default: "0" },
    "flat-queries": { type: "string" },
  },
});

const DIMS = 1024;
const K = 10;
const WARMUP = 10;
const DIST_CHECK_QUERIES = 50;
const sizes = values.sizes
  .split(",")
  .map(Number)
  .sort((a, b) => a - b);
const queryCount = Number(values.queries);
const verifyCount = Math.min(Number(values.verify), queryCount);
const seed = Number(values.seed);
const flatQueries = Number(values["flat-queries"] ?? queryCount);
const budgetMs = Number(values["budget-min"]) * 60_000;
for (const [name, value] of [["--queries", queryCount], ["--verify", verifyCount], ["--seed", seed], ["--flat-queries", flatQueries], ...sizes.map((s) => ["--sizes", s] as const)] as const) {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`Expected \`${name}\` to be a whole number, got \`${value}\``);
}
const maxN = sizes[sizes.length - 1]!;
if (!(values.profile in PROFILES)) throw new TypeError(`Expected \`--profile\` among ${Object.keys(PROFILES).join(", ")}, got \`${values.profile}\``);
const profile = PROFILES[values.profile as keyof typeof PROFILES];
const model = new EmbeddingModel({ ...profile, dims: DIMS, seed });

// ---------------------------------------------------------------------------------------------
// Index configurations and their query-setting grids.

interface Setting {
  nprobes?: number;
  refine?: number;
  ef?: number;
}
interface Config {
  name: string;
  describe(n: number): string;
  index(n: number): lancedb.Index;
  grid(n: number): Setting[];
}

const RECOMMENDED: Setting = { nprobes: 40, refine: 2 };
const sqrtPartitions = (n: number) => Math.max(1, Math.round(Math.sqrt(n)));
/** nprobes values up to half the partitions (beyond that an IVF search is nearly a full scan). */
const probes = (n: number) => [3, 5, 10, 20, 40, 80, 160].filter((p) => p <= Math.max(5, sqrtPartitions(n) / 2));
const refineGrid = (n: number) =>
  probes(n)
    .filter((p) => p >= 10)
    .flatMap((nprobes) => [undefined, 1, 5, 10].map((refine) => ({ nprobes, refine })));
const rqGrid = (n: number) =>
  probes(n)
    .filter((p) => p >= 5)
    .flatMap((nprobes) => [undefined, 2, 5, 10].map((refine) => ({ nprobes, refine })));

const CONFIGS: Record<string, Config> = {
  flat: {
    name: "IVF_FLAT",
    describe: (n) => `partitions=${sqrtPartitions(n)}`,
    index: (n) => lancedb.Index.ivfFlat({ distanceType: "cosine", numPartitions: sqrtPartitions(n) }),
    grid: (n) => probes(n).map((nprobes) => ({ nprobes })),
  },
  pq64: {
    name: "IVF_PQ",
    describe: (n) => `partitions=${sqrtPartitions(n)} subvectors=64 bits=8`,
    index: (n) => lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions: sqrtPartitions(n), numSubVectors: 64, numBits: 8 }),
    grid: refineGrid,
  },
  pq128: {
    name: "IVF_PQ",
    describe: (n) => `partitions=${sqrtPartitions(n)} subvectors=128 bits=8`,
    index: (n) => lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions: sqrtPartitions(n), numSubVectors: 128, numBits: 8 }),
    grid: refineGrid,
  },
  rq: {
    name: "IVF_RQ",
    describe: (n) => `partitions=${sqrtPartitions(n)} bits=1`,
    index: (n) => lancedb.Index.ivfRq({ distanceType: "cosine", numPartitions: sqrtPartitions(n), numBits: 1 }),
    grid: rqGrid,
  },
  /** The recommendation: IVF_RQ, 4 bits, sqrt(N) partitions; queried with nprobes 40, refineFactor 2. */
  rec: {
    name: "IVF_RQ",
    describe: (n) => `partitions=${sqrtPartitions(n)} bits=4 (recommended)`,
    index: (n) => lancedb.Index.ivfRq({ distanceType: "cosine", numPartitions: sqrtPartitions(n), numBits: 4 }),
    grid: () => [RECOMMENDED],
  },
  rq4: {
    name: "IVF_RQ",
    describe: (n) => `partitions=${sqrtPartitions(n)} bits=4`,
    index: (n) => lancedb.Index.ivfRq({ distanceType: "cosine", numPartitions: sqrtPartitions(n), numBits: 4 }),
    grid: rqGrid,
  },
  hnsw: {
    name: "IVF_HNSW_SQ",
    describe: () => "partitions=1 m=20 efConstruction=300",
    index: () => lancedb.Index.hnswSq({ distanceType: "cosine", numPartitions: 1, m: 20, efConstruction: 300 }),
    grid: () => [...[20, 50, 100, 200].map((ef) => ({ nprobes: 1, ef })), ...[50, 100].map((ef) => ({ nprobes: 1, ef, refine: 2 }))],
  },
  hnsw8: {
    name: "IVF_HNSW_SQ",
    describe: () => "partitions=8 m=20 efConstruction=300",
    index: () => lancedb.Index.hnswSq({ distanceType: "cosine", numPartitions: 8, m: 20, efConstruction: 300 }),
    grid: () => [2, 4, 8].flatMap((nprobes) => [50, 100].map((ef) => ({ nprobes, ef }))),
  },
  hnswpq: {
    name: "IVF_HNSW_PQ",
    describe: () => "partitions=1 subvectors=64 m=20 efConstruction=300",
    index: () => lancedb.Index.hnswPq({ distanceType: "cosine", numPartitions: 1, numSubVectors: 64, m: 20, efConstruction: 300 }),
    grid: () => [50, 100, 200].flatMap((ef) => [undefined, 5].map((refine) => ({ nprobes: 1, ef, refine }))),
  },
};
const configNames = values.configs.split(",").filter(Boolean);
const smallConfigNames = values["small-configs"].split(",").filter(Boolean);
for (const name of [...configNames, ...smallConfigNames]) {
  if (!CONFIGS[name]) throw new TypeError(`Expected a config among ${Object.keys(CONFIGS).join(", ")}, got \`${name}\``);
}

// ---------------------------------------------------------------------------------------------
// Helpers.

const started = performance.now();
const elapsed = () => performance.now() - started;
const overBudget = () => elapsed() > budgetMs;
const secs = (ms: number) => (ms / 1000).toFixed(1);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const log = (line: string) => console.log(`[${secs(elapsed()).padStart(6)} s] ${line}`);
const stepTimes: Array<[string, number]> = [];
async function step<T>(label: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await run();
  } finally {
    stepTimes.push([label, performance.now() - t0]);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * CPU used by OTHER processes on the machine (other engineers' tests and benchmarks
 * share these 2 cores), in cores: (all busy time - this process's time) / elapsed.
 */
async function cpuSnapshot(): Promise<{ busy: number; total: number; self: number }> {
  const stat = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = stat[3]! + (stat[4] ?? 0);
  const total = stat.reduce((a, b) => a + b, 0);
  const self = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ");
  return { busy: total - idle, total, self: Number(self[11]) + Number(self[12]) };
}
const cores = (await readFile("/proc/stat", "utf8")).split("\n").filter((line) => /^cpu\d/.test(line)).length;
function foreignCores(a: { busy: number; total: number; self: number }, b: { busy: number; total: number; self: number }): number {
  const total = b.total - a.total;
  return total > 0 ? Math.max(0, ((b.busy - a.busy - (b.self - a.self)) / total) * cores) : 0;
}
const waitQuietS = Number(values["wait-quiet"]);
/** With --wait-quiet S: waits up to S seconds for other processes to use < 0.25 core (measured over 2 s windows). */
async function waitQuiet(): Promise<void> {
  if (!(waitQuietS > 0)) return;
  const deadline = performance.now() + waitQuietS * 1000;
  while (performance.now() < deadline) {
    const a = await cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (foreignCores(a, await cpuSnapshot()) < 0.25) return;
  }
}

const schema = new Schema([new Field("id", new Utf8(), false), new Field("text", new Utf8(), false), new Field("vector", new FixedSizeList(DIMS, new Field("item", new Float32(), true)), true)]);

/** One Arrow table of `rows` rows; row r's id is start + r. `nulls` marks rows whose vector is null. */
function arrowBatch(start: number, data: Float32Array, rows: number, nulls?: (row: number) => boolean): ArrowTable {
  const ids = vectorFromArray(
    Array.from({ length: rows }, (_, i) => String(start + i)),
    new Utf8(),
  );
  const texts = vectorFromArray(
    Array.from({ length: rows }, (_, i) => `synthetic chunk ${start + i}`),
    new Utf8(),
  );
  const child = makeData({ type: new Float32(), length: rows * DIMS, data: data.subarray(0, rows * DIMS) });
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (nulls) {
    nullBitmap = new Uint8Array(Math.ceil(rows / 8)).fill(0xff);
    for (let r = 0; r < rows; r++) {
      if (nulls(r)) {
        nullBitmap[r >> 3]! &= ~(1 << (r & 7));
        nullCount++;
      }
    }
  }
  const vector = makeData({ type: schema.fields[2]!.type as FixedSizeList<Float32>, length: rows, nullCount, nullBitmap, child });
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [ids.data[0]!, texts.data[0]!, vector] });
  return new ArrowTable(schema, [new RecordBatch(schema, struct)]);
}

/** Peak RSS while `run` runs (sampled every 20 ms on the JS thread, which is idle while LanceDB builds natively). */
async function withPeakRss<T>(run: () => Promise<T>): Promise<{ result: T; peakRss: number; baseRss: number; cpuMs: number; load: number }> {
  await waitQuiet();
  const snap0 = await cpuSnapshot();
  const baseRss = process.memoryUsage.rss();
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const cpu0 = process.cpuUsage();
  try {
    const result = await run();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const cpu = process.cpuUsage(cpu0);
    return { result, peakRss, baseRss, cpuMs: (cpu.user + cpu.system) / 1000, load: foreignCores(snap0, await cpuSnapshot()) };
  } finally {
    clearInterval(sampler);
  }
}

interface Measured {
  p50: number;
  p99: number;
  mean: number;
  first: number;
  recall: number;
  /** Process CPU time per query (all threads): less sensitive than latency to other load on the machine. */
  cpuMs: number;
  /** Cores used by other processes during the timed queries (0 = the machine was ours). */
  load: number;
  /** Mean |returned _distance - exact cosine distance| over the hits of the first queries. */
  distErr: number;
  ids: number[][];
}

function search(table: lancedb.Table, query: Float32Array, setting: Setting | "flat"): lancedb.VectorQuery {
  let q = table.vectorSearch(query).distanceType("cosine").select(["id", "text", "_distance"]).limit(K);
  if (setting === "flat") return q.bypassVectorIndex();
  if (setting.nprobes !== undefined) q = q.nprobes(setting.nprobes);
  if (setting.refine !== undefined) q = q.refineFactor(setting.refine);
  if (setting.ef !== undefined) q = q.ef(setting.ef);
  return q;
}

/** Runs every query once (after WARMUP queries), one at a time; recall against `truth` when given. */
async function measure(table: lancedb.Table, queries: Float32Array[], setting: Setting | "flat", truth?: number[][]): Promise<Measured> {
  await waitQuiet();
  const t0 = performance.now();
  await search(table, queries[0]!, setting).toArray();
  const first = performance.now() - t0;
  for (let i = 1; i < WARMUP; i++) await search(table, queries[i % queries.length]!, setting).toArray();
  const times: number[] = [];
  const ids: number[][] = [];
  const distances: number[][] = [];
  const cpu0 = process.cpuUsage();
  const snap0 = await cpuSnapshot();
  for (const query of queries) {
    const t = performance.now();
    const rows = await search(table, query, setting).toArray();
    times.push(performance.now() - t);
    ids.push(rows.map((row: { id: string }) => Number(row.id)));
    distances.push(rows.map((row: { _distance: number }) => row._distance));
  }
  const cpu = process.cpuUsage(cpu0);
  const load = foreignCores(snap0, await cpuSnapshot());
  const sorted = [...times].sort((a, b) => a - b);
  const recall = truth ? ids.reduce((sum, found, i) => sum + recallAt(found, truth[i]!), 0) / ids.length : Number.NaN;
  // How far the returned _distance (the store's score is 1 - _distance) is from the exact one;
  // vector i is regenerated from the deterministic model rather than read back.
  let errSum = 0;
  let errCount = 0;
  const vector = new Float32Array(DIMS);
  for (let q = 0; q < Math.min(DIST_CHECK_QUERIES, ids.length); q++) {
    ids[q]!.forEach((id, rank) => {
      model.vector(id, vector);
      errSum += Math.abs(distances[q]![rank]! - (1 - dot(queries[q]!, 0, vector, 0, DIMS)));
      errCount++;
    });
  }
  const distErr = errCount > 0 ? errSum / errCount : Number.NaN;
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, first, recall, cpuMs: (cpu.user + cpu.system) / 1000 / queries.length, load, distErr, ids };
}

const settingLabel = (s: Setting | "flat") =>
  s === "flat"
    ? "brute force"
    : [s.nprobes !== undefined ? `nprobes=${s.nprobes}` : "", s.refine !== undefined ? `refine=${s.refine}` : "", s.ef !== undefined ? `ef=${s.ef}` : ""].filter(Boolean).join(" ") || "defaults";

interface Row {
  n: number;
  index: string;
  params: string;
  buildS?: number;
  cpuS?: number;
  peakRssMb?: number;
  rssDeltaMb?: number;
  indexMb?: number;
  setting: string;
  p50: number;
  p99: number;
  firstMs: number;
  cpuMs: number;
  load: number;
  distErr: number;
  recall: number;
}
const rows: Row[] = [];
const notes: string[] = [];

// ---------------------------------------------------------------------------------------------
// 1. Data: one pass over the deterministic stream writes every table and feeds the JS exact top-k.

const root = await mkdtemp(path.join(tmpdir(), "askdocs-index-tuning-"));
log(`LanceDB data in ${root}; sizes ${sizes.join(", ")}; configs ${configNames.join(", ")}; ${queryCount} queries; budget ${values["budget-min"]} min; data profile ${values.profile}`);
try {
  const db = await lancedb.connect(root);
  const queries = queryVectors({ count: queryCount }, model);
  const tables = new Map<number, lancedb.Table>();
  const exact = new Map<number, ExactTopK>();
  const verifyQueries = queries.slice(0, verifyCount);
  for (const n of sizes) {
    tables.set(n, await db.createEmptyTable(`chunks_${n}`, schema, { mode: "overwrite" }));
    if (verifyCount > 0) exact.set(n, new ExactTopK(verifyQueries, K, n));
  }

  await step(`generate + write ${sizes.join("/")} rows, JS exact top-k of ${verifyCount} queries`, async () => {
    let genMs = 0;
    let writeMs = 0;
    let exactMs = 0;
    const it = batchesOf(model, maxN, 10_000);
    for (;;) {
      let t = performance.now();
      const next = it.next();
      genMs += performance.now() - t;
      if (next.done) break;
      const batch: Batch = next.value;
      t = performance.now();
      for (const [n, table] of tables) {
        const rowsHere = Math.min(batch.rows, n - batch.start);
        if (rowsHere > 0) await table.add(arrowBatch(batch.start, batch.data, rowsHere));
      }
      writeMs += performance.now() - t;
      t = performance.now();
      for (const topk of exact.values()) topk.add(batch);
      exactMs += performance.now() - t;
    }
    // Compact the 10k-row fragments (one per add) as a maintained collection would be.
    const t = performance.now();
    for (const table of tables.values()) await table.optimize({ cleanupOlderThan: new Date() });
    writeMs += performance.now() - t;
    log(`generated in ${secs(genMs)} s, written + compacted in ${secs(writeMs)} s, JS exact top-k in ${secs(exactMs)} s`);
  });

  // Describe the distribution: how tight neighbourhoods are (the exact top-1 and top-10 cosine).
  const biggest = exact.get(maxN);
  if (biggest) {
    let top1 = 0;
    let top10 = 0;
    for (let q = 0; q < verifyCount; q++) {
      top1 += biggest.score(q, 0);
      top10 += biggest.score(q, K - 1);
    }
    const line = `data: profile ${values.profile}, ${model.clusters} clusters, rank ${model.rank}, seed ${seed}; query→nearest cosine mean ${(top1 / verifyCount).toFixed(3)}, →10th ${(top10 / verifyCount).toFixed(3)} (N=${maxN})`;
    log(line);
    notes.push(line);
  }

  // -------------------------------------------------------------------------------------------
  // 2. Brute force at every size: latency, and the ground truth (checked against JS).

  const truth = new Map<number, number[][]>();
  for (const n of sizes) {
    if (overBudget()) break;
    await step(`brute force N=${n}`, async () => {
      const table = tables.get(n)!;
      // When the JS exact top-k covers every query (--verify >= --queries), it is the ground
      // truth and LanceDB's flat search only needs --flat-queries queries, for its latency
      // (at 1M rows a flat query takes seconds).
      const js = exact.get(n);
      const jsIsTruth = js !== undefined && verifyCount >= queryCount;
      const flat = await measure(table, jsIsTruth ? queries.slice(0, flatQueries) : queries, "flat");
      truth.set(n, jsIsTruth ? queries.map((_, q) => js.top(q)) : flat.ids);
      let agreement = Number.NaN;
      if (js) {
        const checked = Math.min(verifyCount, flat.ids.length);
        let sum = 0;
        for (let q = 0; q < checked; q++) sum += recallAt(flat.ids[q]!, js.top(q));
        agreement = sum / checked;
      }
      rows.push({ n, index: "none", params: "", setting: "brute force", p50: flat.p50, p99: flat.p99, firstMs: flat.first, cpuMs: flat.cpuMs, load: flat.load, distErr: flat.distErr, recall: agreement });
      log(
        `N=${n} brute force p50 ${flat.p50.toFixed(1)} ms p99 ${flat.p99.toFixed(1)} ms CPU ${flat.cpuMs.toFixed(1)} ms/query (other processes ${flat.load.toFixed(1)} cores); agrees with JS exact top-10 on ${(agreement * 100).toFixed(2)}% of ids (${Math.min(verifyCount, flat.ids.length)} queries)${jsIsTruth ? "; ground truth: JS exact" : ""}`,
      );
      if (js && agreement < 1) notes.push(`N=${n}: LanceDB flat vs JS exact top-10 agreement ${agreement.toFixed(4)} (ties at the 10th place in float32)`);
    });
  }

  // -------------------------------------------------------------------------------------------
  // 3. Index configs: build, then the query grid.

  async function runConfig(n: number, key: string, grid?: Setting[]): Promise<void> {
    const config = CONFIGS[key]!;
    const table = tables.get(n)!;
    const gt = truth.get(n);
    if (!gt) return;
    await step(`${key} N=${n}`, async () => {
      log(`N=${n} building ${config.name} ${config.describe(n)} ...`);
      const t0 = performance.now();
      let built: Awaited<ReturnType<typeof withPeakRss<void>>>;
      try {
        built = await withPeakRss(() => table.createIndex("vector", { config: config.index(n), replace: true }));
      } catch (error) {
        log(`N=${n} ${config.name} build failed: ${(error as Error).message}`);
        notes.push(`N=${n} ${config.name} ${config.describe(n)} build failed: ${(error as Error).message}`);
        return;
      }
      const buildMs = performance.now() - t0;
      const index = (await table.listIndices()).find((i) => i.columns.includes("vector"));
      const indexBytes = index?.sizeBytes ?? Number.NaN;
      log(
        `N=${n} ${config.name} built in ${secs(buildMs)} s (CPU ${secs(built.cpuMs)} s, other processes ${built.load.toFixed(1)} cores), RSS ${mb(built.baseRss)} → peak ${mb(built.peakRss)} MB, index ${mb(indexBytes)} MB`,
      );
      let firstRow = true;
      for (const setting of grid ?? config.grid(n)) {
        const m = await measure(table, queries, setting, gt);
        rows.push({
          n,
          index: config.name,
          params: config.describe(n),
          ...(firstRow ? { buildS: buildMs / 1000, cpuS: built.cpuMs / 1000, peakRssMb: built.peakRss / 2 ** 20, rssDeltaMb: (built.peakRss - built.baseRss) / 2 ** 20, indexMb: indexBytes / 2 ** 20 } : {}),
          setting: settingLabel(setting),
          p50: m.p50,
          p99: m.p99,
          firstMs: m.first,
          cpuMs: m.cpuMs,
          load: m.load,
          distErr: m.distErr,
          recall: m.recall,
        });
        firstRow = false;
        log(
          `N=${n} ${config.name} ${settingLabel(setting).padEnd(22)} p50 ${m.p50.toFixed(2).padStart(7)} ms  p99 ${m.p99.toFixed(2).padStart(7)} ms  CPU ${m.cpuMs.toFixed(2).padStart(6)} ms/q  recall@10 ${m.recall.toFixed(4)}  dist err ${m.distErr.toFixed(4)}  (first query ${m.first.toFixed(0)} ms, other processes ${m.load.toFixed(1)} cores)`,
        );
      }
      // Free the disk of replaced index files between configs.
      await table.dropIndex(index?.name ?? "vector_idx");
      await table.optimize({ cleanupOlderThan: new Date() });
    });
  }

  for (const key of configNames) {
    if (overBudget()) {
      notes.push(`skipped ${key} at N=${maxN}: over the ${values["budget-min"]} min budget`);
      continue;
    }
    await runConfig(maxN, key);
  }

  // Smaller sizes: is an index worth it there?
  for (const n of sizes.slice(0, -1).reverse()) {
    for (const key of smallConfigNames) {
      if (overBudget()) {
        notes.push(`skipped ${key} at N=${n}: over budget`);
        continue;
      }
      // refineFactor 1 never changed recall at the largest size: skip it here.
      const grid = CONFIGS[key]!.grid(n).filter((s) => s.refine !== 1);
      await runConfig(n, key, grid);
    }
  }

  // -------------------------------------------------------------------------------------------
  // 4. Quirks, on small tables.

  if (!values["skip-quirks"] && !overBudget()) {
    await step("quirks", async () => {
      const attempt = async (label: string, run: () => Promise<string | undefined>) => {
        try {
          const detail = await run();
          const line = `quirk: ${label}: ok${detail ? ` (${detail})` : ""}`;
          log(line);
          notes.push(line);
        } catch (error) {
          const line = `quirk: ${label}: ERROR ${(error as Error).message.split("\n")[0]}`;
          log(line);
          notes.push(line);
        }
      };
      const small = async (name: string, count: number, nulls?: (row: number) => boolean) => {
        const table = await db.createEmptyTable(name, schema, { mode: "overwrite" });
        for (const batch of batchesOf(model, count, 10_000)) await table.add(arrowBatch(batch.start, batch.data, batch.rows, nulls && ((r) => nulls(batch.start + r))));
        return table;
      };

      // (a) Null vectors in the column (the schema allows them): 5% of 5,000 rows.
      const withNulls = await small("quirk_nulls", 5000, (row) => row % 20 === 7);
      for (const key of ["flat", "rec", "pq64", "hnsw"] as const) {
        await attempt(`${CONFIGS[key]!.name} on 5000 rows with 250 null vectors`, async () => {
          await withNulls.createIndex("vector", { config: CONFIGS[key]!.index(5000), replace: true });
          const stats = await withNulls.indexStats((await withNulls.listIndices())[0]!.name);
          const hits = await search(withNulls, queries[0]!, { nprobes: 20, ef: 50 }).toArray();
          const nullHit = hits.some((row: { id: string }) => Number(row.id) % 20 === 7);
          return `indexed ${stats?.numIndexedRows} rows, unindexed ${stats?.numUnindexedRows}, ${hits.length} hits, null-vector row returned: ${nullHit}`;
        });
      }
      // (b) Without refineFactor, quantised indices return _distance on another scale.
      await attempt("_distance of an unrefined IVF_RQ (4 bits) query vs the exact cosine distance", async () => {
        await withNulls.createIndex("vector", { config: CONFIGS.rec!.index(5000), replace: true });
        const ratios: string[] = [];
        for (const refine of [undefined, 1]) {
          const hits = await search(withNulls, queries[0]!, { nprobes: 20, refine }).toArray();
          const ratio =
            hits.reduce((sum: number, row: { id: string; _distance: number }) => {
              return sum + row._distance / (1 - dot(queries[0]!, 0, model.vector(Number(row.id)), 0, DIMS));
            }, 0) / hits.length;
          ratios.push(`${refine === undefined ? "no refine" : `refine=${refine}`}: returned/exact = ${ratio.toFixed(3)}`);
        }
        return ratios.join(", ");
      });
      // (c) Too few rows for the training.
      const tiny = await small("quirk_tiny", 200);
      await attempt("IVF_PQ default partitions on 200 rows", async () => {
        await tiny.createIndex("vector", { config: lancedb.Index.ivfPq({ distanceType: "cosine" }), replace: true });
        return JSON.stringify(await tiny.indexStats((await tiny.listIndices())[0]!.name));
      });
      await attempt("IVF_RQ default partitions on 200 rows", async () => {
        await tiny.createIndex("vector", { config: lancedb.Index.ivfRq({ distanceType: "cosine" }), replace: true });
        return JSON.stringify(await tiny.indexStats((await tiny.listIndices())[0]!.name));
      });
      await attempt("IVF_FLAT numPartitions=256 on 200 rows", async () => {
        await tiny.createIndex("vector", { config: lancedb.Index.ivfFlat({ distanceType: "cosine", numPartitions: 256 }), replace: true });
        return JSON.stringify(await tiny.indexStats((await tiny.listIndices())[0]!.name));
      });
      // (d) Rows added after the build are unindexed (searched by brute force) until optimize().
      const grow = await small("quirk_grow", 20_000);
      await grow.createIndex("vector", { config: CONFIGS.rec!.index(20_000) });
      const name = (await grow.listIndices())[0]!.name;
      const growSetting = RECOMMENDED;
      const before = await measure(grow, queries.slice(0, 50), growSetting);
      for (const batch of batchesOf(model, 25_000, 5_000, 20_000)) await grow.add(arrowBatch(batch.start, batch.data, batch.rows));
      const stale = await grow.indexStats(name);
      const after = await measure(grow, queries.slice(0, 50), growSetting);
      const t = performance.now();
      await grow.optimize({ cleanupOlderThan: new Date() });
      const optimizeMs = performance.now() - t;
      const fresh = await grow.indexStats(name);
      const merged = await measure(grow, queries.slice(0, 50), growSetting);
      const line =
        `quirk: IVF_RQ (recommended) on 20000 rows, then +5000 rows: unindexed ${stale?.numUnindexedRows}, p50 ${before.p50.toFixed(2)} → ${after.p50.toFixed(2)} ms; ` +
        `optimize() ${secs(optimizeMs)} s → unindexed ${fresh?.numUnindexedRows}, p50 ${merged.p50.toFixed(2)} ms`;
      log(line);
      notes.push(line);
    });
  }

  // -------------------------------------------------------------------------------------------
  // 5. Report.

  const pad = (s: string, w: number) => s.padEnd(w);
  const num = (v: number | undefined, digits: number) => (v === undefined || Number.isNaN(v) ? "" : v.toFixed(digits));
  console.log("\n| N | index | build params | build s | build CPU s | peak RSS MB (+Δ) | index MB | query settings | p50 ms | p99 ms | CPU ms/q | other load | recall@10 | dist err |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.n} | ${r.index} | ${r.params} | ${num(r.buildS, 1)} | ${num(r.cpuS, 1)} | ${r.peakRssMb === undefined ? "" : `${num(r.peakRssMb, 0)} (+${num(r.rssDeltaMb, 0)})`} | ${num(r.indexMb, 1)} | ${pad(r.setting, 0)} | ${num(r.p50, 2)} | ${num(r.p99, 2)} | ${num(r.cpuMs, 2)} | ${num(r.load, 1)} | ${num(r.recall, 4)} | ${num(r.distErr, 4)} |`,
    );
  }
  console.log("\n(brute-force rows: recall@10 = agreement of LanceDB's flat search with the JS exact top-10;");
  console.log(" CPU ms/q = this process's CPU time per query, all threads; other load = cores used by other processes meanwhile;");
  console.log(" dist err = mean |_distance - exact cosine distance| of the hits: the error of the store's score = 1 - _distance)");
  console.log("\nsteps:");
  for (const [label, ms] of stepTimes) console.log(`  ${secs(ms).padStart(7)} s  ${label}`);
  console.log(`  ${secs(elapsed()).padStart(7)} s  total`);
  if (notes.length > 0) console.log(`\nnotes:\n${notes.map((n) => `  - ${n}`).join("\n")}`);
  if (values.out) await writeFile(values.out, JSON.stringify({ rows, notes, steps: stepTimes }, null, 2));
} finally {
  await rm(root, { recursive: true, force: true });
}
