/**
 * Ingest benchmark (a plain script, not a vitest suite), issue 9:
 *
 *   npm run bench:ingest [-- --only small,provider,parse,ask --runs 3 --latency 150 --rpm 120 --batch 4 --no-baseline]
 *
 * - small: a corpus of 1,500+ small English and Chinese files (the QA sets cut into
 *   pieces) plus the ten long 10-Q PDFs, ingested by askdocs (`npm run ingest`, in a child
 *   process) and by LangChain.js's default pipeline (installed on demand into its own
 *   folder, see ingest/langchain-baseline.ts), both against an instant fake provider.
 *   Wall time and peak RSS (targets: askdocs <= the baseline; <= 600 MB).
 * - provider: embedding requests per minute against a fake at `--latency` ms that
 *   enforces `--rpm` (target >= 95% of the limit, zero 429s, zero lost chunks).
 * - parse: PDF pages/s, the worker pool against one thread, timed back to back in each run
 *   (target >= 1.7x on 2 cores; the ratio quoted is the median of the runs' own ratios).
 * - ask: ask overhead with NIM_RPM=40, idle and during a ~1,000-chunk upload (target
 *   <= 50 ms idle), and /health p99 while a 500-page PDF uploads (target <= 50 ms).
 *
 * Reads the long PDFs from `--pdfs DIR` (default ../shared/data/long-pdfs, too large for
 * test/fixtures; without them it says what to do and exits 1) and the QA sets from
 * ../shared/data/qa, else test/fixtures/qa. Prints medians.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startFakeProvider } from "../fake-provider/index.js";
import { FIXTURES, tempDir } from "../helpers/ingest-data.js";
import { type AskTiming, measureAskUnderLoad } from "./ingest/ask-under-load.js";
import { writeSmallFilesCorpus } from "./ingest/corpus.js";
import { BASELINE_DIR, ensureBaseline, runBaseline } from "./ingest/langchain-baseline.js";
import { measureParsing, median } from "./ingest/parse-speed.js";
import { measureProviderBound } from "./ingest/provider-bound.js";
import { runAskdocsIngest } from "./ingest/small-files.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "small,provider,parse,ask" },
    runs: { type: "string", default: "3" },
    latency: { type: "string", default: "150" },
    rpm: { type: "string", default: "120" },
    batch: { type: "string", default: "4" },
    "no-baseline": { type: "boolean", default: false },
    pdfs: { type: "string", default: fileURLToPath(new URL("../../../shared/data/long-pdfs/", import.meta.url)) },
  },
});
const sections = new Set(values.only.split(","));
const numbers = { runs: Number(values.runs), latency: Number(values.latency), rpm: Number(values.rpm), batch: Number(values.batch) };
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isInteger(value) || value < (name === "latency" ? 0 : 1)) throw new TypeError(`Expected \`--${name}\` to be a whole number, got \`${value}\``);
}
const PDFS = path.resolve(values.pdfs);
if (!existsSync(PDFS)) {
  console.error(
    `bench:ingest: no folder ${PDFS}. It reads long PDFs from askdocs' shared data set (../shared/data/long-pdfs, ten SEC 10-Qs, ` +
      "not in the repo for their size): put that set beside the checkout, or pass --pdfs DIR with a folder of PDFs of your own. Nothing was measured.",
  );
  process.exit(1);
}
const SHARED_QA = fileURLToPath(new URL("../../../shared/data/qa/", import.meta.url));
const QA = existsSync(SHARED_QA) ? SHARED_QA : path.join(FIXTURES, "qa");

const mb = (bytes: number | undefined) => (bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const list = (xs: number[], digits = 0) => xs.map((x) => x.toFixed(digits)).join(", ");
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rows: [string, string][] = [];
const root = await tempDir("bench-ingest");

try {
  if (sections.has("small")) {
    const corpus = path.join(root, "small");
    const made = await writeSmallFilesCorpus(corpus, { minFiles: 1700, qaDir: QA, pdfDir: PDFS });
    rows.push(["small: corpus", `${made.files} files (${made.smallFiles} small .md/.txt pieces of the en/zh QA sets + ${made.pdfs} long PDFs)`]);
    const fake = await startFakeProvider({ flavor: "nim" });
    try {
      // The baseline runs between askdocs's runs, and the ratio is the median of each pair's
      // own ratio: one machine's speed drifts by 10-20% over a few minutes here.
      let baselineError: string | undefined;
      let install = 0;
      if (!values["no-baseline"]) {
        const t0 = performance.now();
        try {
          await ensureBaseline();
        } catch (error) {
          baselineError = (error as Error).message.split("\n")[0];
        }
        install = performance.now() - t0;
      }
      const askdocs: Awaited<ReturnType<typeof runAskdocsIngest>>[] = [];
      const baseline: Awaited<ReturnType<typeof runBaseline>>[] = [];
      for (let run = 0; run < numbers.runs; run++) {
        askdocs.push(await runAskdocsIngest(fake, corpus, root, run));
        if (values["no-baseline"] || baselineError) continue;
        try {
          baseline.push(await runBaseline(corpus, path.join(root, `langchain-db-${run}`), fake.url));
        } catch (error) {
          baselineError = (error as Error).message.split("\n")[0];
        }
      }
      const wall = median(askdocs.map((r) => r.wallMs));
      rows.push(["small: askdocs", `${s(wall)} wall (median of ${numbers.runs}: ${askdocs.map((r) => s(r.wallMs)).join(", ")}), ${askdocs[0]!.chunks} chunks, peak RSS ${mb(median(askdocs.map((r) => r.peakRss ?? 0)))}`]);
      if (baselineError) rows.push(["small: LangChain.js", `not measured: ${baselineError}`]);
      else if (baseline.length > 0) {
        const base = median(baseline.map((r) => r.wallMs));
        const ratios = baseline.map((b, run) => askdocs[run]!.wallMs / b.wallMs);
        rows.push([
          "small: LangChain.js",
          `${s(base)} wall (median of ${numbers.runs}: ${baseline.map((r) => s(r.wallMs)).join(", ")}), ${baseline[0]!.chunks} chunks, peak RSS ${mb(median(baseline.map((r) => r.peakRss ?? 0)))} (install ${s(install)}, ${BASELINE_DIR})`,
        ]);
        rows.push(["small: ratio", `askdocs / LangChain.js = ${median(ratios).toFixed(2)}, median of each run's ratio (${list(ratios, 2)}; target <= 1)`]);
      }
    } finally {
      await fake.close();
    }
  }

  if (sections.has("provider")) {
    const r = await measureProviderBound(root, { latencyMs: numbers.latency, rpm: numbers.rpm, batch: numbers.batch, pdfs: PDFS });
    rows.push(["provider: run", `${r.chunks} chunks in ${r.requests} requests over ${s(r.elapsedS * 1000)}, fake at ${numbers.latency} ms enforcing ${numbers.rpm} rpm, EMBED_BATCH_SIZE=${numbers.batch}`]);
    rows.push(["provider: rate", `${r.perMinute.toFixed(1)} requests/min over ${r.minutes} whole minutes = ${((100 * r.perMinute) / numbers.rpm).toFixed(1)}% of ${numbers.rpm} (target >= 95%)`]);
    rows.push(["provider: losses", `429s: ${r.limited}; chunks stored ${r.stored} of ${r.chunks}`]);
  }

  if (sections.has("parse")) {
    const r = await measureParsing(PDFS, numbers.runs);
    // Each run times one thread then the pool back to back: their ratio, run by run, is
    // what this machine's drift (a one-thread run ranged 98-123 pages/s in one session) leaves alone.
    const ratios = r.pool.map((pool, i) => pool / r.oneThread[i]!);
    rows.push(["parse: one thread", `${median(r.oneThread).toFixed(1)} pages/s (${r.pages} pages; runs: ${list(r.oneThread, 1)})`]);
    rows.push(["parse: pool", `${median(r.pool).toFixed(1)} pages/s with ${r.poolSize} workers (runs: ${list(r.pool, 1)})`]);
    rows.push(["parse: ratio", `pool / one thread = ${median(ratios).toFixed(2)}x, median of the runs' own ratios (${list(ratios, 2)}; target >= 1.7x on 2 cores)`]);
  }

  if (sections.has("ask")) {
    const r = await measureAskUnderLoad(root, { latencyMs: 100, asks: 5, runs: numbers.runs });
    const overhead = (asks: AskTiming[]) => asks.map((a) => a.overheadMs);
    const wall = (asks: AskTiming[]) => `client wall ${list(asks.map((a) => a.wallMs))} ms`;
    rows.push(["ask: idle overhead", `${median(overhead(r.idle)).toFixed(0)} ms median beyond the fake's own time (asks: ${list(overhead(r.idle))}; ${wall(r.idle)}; target <= 50 ms)`]);
    rows.push([
      "ask: during upload",
      `${median(overhead(r.loaded)).toFixed(0)} ms median overhead (asks: ${list(overhead(r.loaded))}; ${wall(r.loaded)}), ${r.answeredMidUpload} of ${r.loaded.length} answered before the ${r.uploadChunks}-chunk upload finished (target <= 50 ms)`,
    ]);
    rows.push([
      "ask: /health",
      `p99 ${percentile(r.healthMs, 99).toFixed(1)} ms, median ${median(r.healthMs).toFixed(1)} ms over ${r.healthMs.length} polls while a ${r.pdfPages}-page PDF uploaded (target p99 <= 50 ms)`,
    ]);
  }

  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\naskdocs ingest benchmark (Node ${process.version}, ${(await import("node:os")).availableParallelism()} cores available)`);
  for (const [key, value] of rows) console.log(`  ${key.padEnd(width)}  ${value}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
