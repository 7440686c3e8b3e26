/**
 * `npm run eval -- <squad.json> [--collection NAME] [--k 10] [--mode all|hybrid|vector|keyword]
 * [--rerank both|on|off] [--answers N]`: writes each article as a document under
 * data/eval/, ingests it (unchanged articles are skipped on later runs), asks every
 * question, and prints recall@1/5/10 and MRR of retrieval per mode (a hit: a passage of
 * the right article that contains a gold answer); with a chat model, how often the
 * answer contains a gold answer, and its latency. A Node entry (a composition root), like src/node.ts: the answers go through the
 * same answer service as `/v1/ask`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { discoverFiles, sourceFiles } from "../../ingest/discover.js";
import { configOrReport } from "../config.js";
import { NotConfiguredError } from "../errors.js";
import { configuredLogger } from "../logger.js";
import { openNodeRuntime } from "../runtime/node-runtime.js";
import type { SearchMode } from "../store/vector-store.js";
import { mapPool, quantile, retrievalMetrics } from "./metrics.js";
import { articlesOf, containsAnswer, squadSchema } from "./squad.js";

const USAGE = "usage: npm run eval -- <squad-format.json> [--collection NAME] [--k 10] [--mode all|hybrid|vector|keyword] [--rerank both|on|off] [--answers N]";

export async function runEval(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        collection: { type: "string" },
        k: { type: "string", default: "10" },
        mode: { type: "string", default: "all" },
        rerank: { type: "string", default: "both" },
        answers: { type: "string", default: "100" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [file] = args.positionals;
  const k = Number(args.values.k);
  const answersWanted = Number(args.values.answers);
  const modes = (args.values.mode === "all" ? ["vector", "keyword", "hybrid"] : [args.values.mode]) as SearchMode[];
  if (
    !file ||
    !Number.isInteger(k) ||
    k < 1 ||
    !Number.isInteger(answersWanted) ||
    answersWanted < 0 ||
    modes.some((m) => !["vector", "keyword", "hybrid"].includes(m)) ||
    !["both", "on", "off"].includes(args.values.rerank)
  ) {
    console.error(USAGE);
    return 2;
  }
  const config = configOrReport(env, (message) => console.error(message));
  if (!config) return 2;

  const dataset = path.basename(file).replace(/\.json$/i, "");
  const collectionName = args.values.collection ?? `eval-${dataset.replace(/[^A-Za-z0-9_-]+/g, "-")}`.slice(0, 64);
  const squad = squadSchema.parse(JSON.parse(await readFile(file, "utf8")));
  const { articles, questions } = articlesOf(squad);

  // Documents live in a stable folder, so re-runs find them unchanged and embed nothing.
  const folder = path.resolve("data/eval", dataset);
  await mkdir(folder, { recursive: true });
  for (const a of articles) await writeFile(path.join(folder, a.fileName), a.markdown);

  const rt = await openNodeRuntime(config, { logger: configuredLogger(config) });
  const { providers } = rt;
  try {
    const collection = await rt.store.openCollection(collectionName, { embedModel: config.EMBED_MODEL, dims: rt.ingest.dims });
    const found = await discoverFiles(articles.map((a) => path.join(folder, a.fileName)));
    const started = Date.now();
    const report = await rt.ingest.ingest(collectionName, collection, sourceFiles(found.files));
    await collection.upkeep?.();
    const ingested = report.files.filter((f) => f.status === "ingested").length;
    console.log(
      `${dataset}: ${articles.length} articles (${ingested} ingested, ${report.files.length - ingested} unchanged/failed) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${questions.length} questions; collection ${collectionName}`,
    );

    const available = modes.filter((m) => m === "keyword" || providers.embedder);
    const rerankSettings = providers.reranker ? (args.values.rerank === "both" ? [false, true] : [args.values.rerank === "on"]) : [false];
    const rows: string[] = [];
    for (const mode of available) {
      for (const rerank of rerankSettings) {
        const t0 = Date.now();
        let fallbacks = 0;
        const ranks = await mapPool(questions, 4, async (q) => {
          const r = await rt.search({ collection: collectionName, query: q.question, topK: k, mode, rerank });
          if (r.rerank && !r.rerank.applied) fallbacks++;
          const rank = r.hits.findIndex((h) => h.source.endsWith(`/${q.article}`) && containsAnswer(h.text, q.answers));
          return rank + 1;
        });
        const m = retrievalMetrics(ranks);
        const label = `${mode}${providers.reranker ? (rerank ? " + rerank" : "") : ""}`;
        rows.push(
          `| ${dataset} | ${label} | ${m.questions} | ${m.recallAt1.toFixed(3)} | ${m.recallAt5.toFixed(3)} | ${m.recallAt10.toFixed(3)} | ${m.mrr.toFixed(3)} | ${((Date.now() - t0) / m.questions).toFixed(1)} ms |${fallbacks ? ` ${fallbacks} rerank fallbacks` : ""}`,
        );
      }
    }
    for (const m of modes.filter((x) => !available.includes(x))) rows.push(`| ${dataset} | ${m} | skipped: ${providers.embedderMissing} |`);
    console.log(`\n| dataset | mode | questions | recall@1 | recall@5 | recall@10 | MRR | per question |\n|---|---|---|---|---|---|---|---|\n${rows.join("\n")}`);

    let chatModel: string | undefined;
    try {
      chatModel = providers.chat().id;
    } catch (error) {
      if (!(error instanceof NotConfiguredError)) throw error;
    }
    if (chatModel && answersWanted > 0) {
      const sample = questions.slice(0, answersWanted);
      const latencies: number[] = [];
      const correct = await mapPool(sample, 4, async (q) => {
        const t0 = Date.now();
        let text = "";
        for await (const event of rt.answer({ question: q.question, collection: collectionName, topK: 6, stream: false })) {
          if (event.type === "error") throw event.error;
          if (event.type === "done") text = event.answer;
        }
        latencies.push(Date.now() - t0);
        return containsAnswer(text, q.answers);
      });
      const share = correct.filter(Boolean).length / sample.length;
      console.log(`\nanswers (${chatModel}, ${sample.length} questions): ${(share * 100).toFixed(1)}% contain a gold answer; latency p50 ${quantile(latencies, 0.5)} ms, p95 ${quantile(latencies, 0.95)} ms`);
    } else {
      console.log(`\nanswers: skipped (${chatModel ? "--answers 0" : "no chat model configured"})`);
    }
    return 0;
  } finally {
    await rt.close();
  }
}

// Run when executed directly (npm run eval through tsx, or dist/src/eval/command.js), not when imported.
if (/eval[\\/]command\.[jt]s$/.test(process.argv[1] ?? "")) {
  process.exitCode = await runEval(process.argv.slice(2), process.env);
}
