/**
 * Ingest benchmark (a plain script, not a vitest suite):
 *
 *   npm run bench:ingest [-- --latency 150 --rpm 120 --runs 3 --batch 32 --pdfs DIR]
 *
 * Ingests `--pdfs` (default ../shared/data/long-pdfs: ten SEC 10-Q reports, too large for
 * test/fixtures; without them it says what to do and exits 1) and the XQuAD articles
 * (English and Chinese, each written as a Markdown document) through `runIngest`, the
 * code behind `npm run ingest`, against the fake NIM started in this process with
 * `--latency` ms per request and a `--rpm` limit, with NIM_RPM set to the same limit.
 * Prints: PDF parsing speed alone (median of `--runs`), chunks/s end to end, embedding
 * requests per minute as a share of the limit (target >= 90%), retries, peak RSS.
 * `--batch` sets EMBED_BATCH_SIZE (default: the configured default); a small one makes
 * the run outlast a minute, so the fake's sliding-window limit is really tested.
 */
import { existsSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runIngest } from "../../ingest/command.js";
import { loadConfig } from "../../src/config.js";
import { loadDocument } from "../../ingest/loaders/index.js";
import { startFakeProvider } from "../fake-provider/index.js";
import { tempDir, writeXquadArticles } from "../helpers/ingest-data.js";

const { values } = parseArgs({
  options: {
    latency: { type: "string", default: "150" },
    rpm: { type: "string", default: "120" },
    runs: { type: "string", default: "3" },
    batch: { type: "string" },
    pdfs: { type: "string", default: fileURLToPath(new URL("../../../shared/data/long-pdfs/", import.meta.url)) },
  },
});
const latencyMs = Number(values.latency);
const rpm = Number(values.rpm);
const runs = Number(values.runs);
for (const [name, value] of [["--latency", latencyMs], ["--rpm", rpm], ["--runs", runs]] as const) {
  if (!Number.isInteger(value) || value < (name === "--latency" ? 0 : 1)) throw new TypeError(`Expected \`${name}\` to be a whole number, got \`${value}\``);
}

const LONG_PDFS = path.resolve(values.pdfs);
if (!existsSync(LONG_PDFS)) {
  console.error(
    `bench:ingest: no folder ${LONG_PDFS}. It reads long PDFs from askdocs' shared data set (../shared/data/long-pdfs, ten SEC 10-Qs, ` +
      "not in the repo for their size): put that set beside the checkout, or pass --pdfs DIR with a folder of PDFs of your own. Nothing was measured.",
  );
  process.exit(1);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const root = await tempDir("bench-ingest");
const fake = await startFakeProvider({ flavor: "nim", latencyMs, rpmLimit: rpm });
try {
  const articles = path.join(root, "xquad");
  const written = [...(await writeXquadArticles(articles, "en")), ...(await writeXquadArticles(articles, "zh"))];
  const pdfNames = (await readdir(LONG_PDFS)).filter((name) => name.endsWith(".pdf")).sort();

  // 1. End to end, first, so that peak RSS is the ingest's (plus this script and the fake).
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  let output = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  const env = {
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: fake.url,
    NVCF_STATUS_URL: fake.statusUrl,
    NIM_RPM: String(rpm),
    LANCEDB_URI: path.join(root, "db"),
    ...(values.batch === undefined ? {} : { EMBED_BATCH_SIZE: values.batch }),
  };
  const batchSize = loadConfig(env).EMBED_BATCH_SIZE;
  const started = performance.now();
  let code: number;
  try {
    code = await runIngest([LONG_PDFS, articles], env);
  } finally {
    process.stdout.write = write;
    clearInterval(sampler);
  }
  const elapsedS = (performance.now() - started) / 1000;
  const maxRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  if (code !== 0) throw new Error(`ingest exited ${code}:\n${output}`);
  const summary = /chunks: (\d+) written · embedding requests: (\d+) · retries: (\d+)/.exec(output);
  if (!summary) throw new Error(`no summary in the ingest output:\n${output}`);
  const [chunks, requests, retries] = summary.slice(1).map(Number) as [number, number, number];

  const embeds = fake.requests.filter((r) => r.path.endsWith("/embeddings"));
  const accepted = embeds.filter((r) => r.status === 200);
  const limited = embeds.filter((r) => r.status === 429).length;
  // Steady-state rate: intervals between the first and last accepted request.
  const spanMs = accepted.length > 1 ? accepted.at(-1)!.at - accepted[0]!.at : Number.NaN;
  const perMinute = ((accepted.length - 1) / spanMs) * 60_000;

  // 2. PDF parsing alone: loadDocument over every long PDF, bytes already in memory.
  const pdfs = await Promise.all(pdfNames.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(LONG_PDFS, name))) })));
  const rates: number[] = [];
  let pages = 0;
  for (let run = 0; run < runs; run++) {
    pages = 0;
    const t0 = performance.now();
    // pdf.js may detach the buffer it is given: parse a copy each run.
    for (const pdf of pdfs) pages += (await loadDocument(pdf.bytes.slice(), pdf.name)).pages ?? 0;
    rates.push(pages / ((performance.now() - t0) / 1000));
  }

  const rows: [string, string][] = [
    ["corpus", `${pdfNames.length} long PDFs (${pages} pages) + ${written.length} XQuAD articles (en + zh)`],
    ["PDF parsing alone", `${median(rates).toFixed(1)} pages/s (median of ${runs}: ${rates.map((r) => r.toFixed(1)).join(", ")})`],
    ["end to end", `${(chunks / elapsedS).toFixed(1)} chunks/s (${chunks} chunks in ${elapsedS.toFixed(1)} s; ceiling ${rpm} rpm × ${batchSize} inputs = ${((rpm * batchSize) / 60).toFixed(1)})`],
    ["embedding requests", `${requests} sent, ${accepted.length} accepted, ${perMinute.toFixed(1)}/min = ${((100 * perMinute) / rpm).toFixed(0)}% of ${rpm} rpm (target >= 90%)`],
    ["retries", `${retries} (429s from the fake: ${limited})`],
    ["peak RSS", `${mb(maxRss)} (this process, fake provider included)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\naskdocs ingest benchmark: fake NIM with ${latencyMs} ms latency and a ${rpm} rpm limit, NIM_RPM=${rpm}, Node ${process.version}`);
  for (const [key, value] of rows) console.log(`  ${key.padEnd(width)}  ${value}`);
} finally {
  await fake.close();
  await rm(root, { recursive: true, force: true });
}
