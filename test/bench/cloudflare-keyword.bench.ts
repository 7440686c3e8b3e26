/**
 * `npm run bench:cf-keyword [-- --k 1,5,10] [--qa DIR]`
 *
 * Which keyword index finds more in Chinese on D1: the Cloudflare store's own (FTS5
 * `unicode61` over words `Intl.Segmenter` split, migrations/0001_store.sql), or FTS5's
 * `trigram` tokenizer (the question's character trigrams ORed, a LIKE scan for one- and
 * two-character queries). Runs on workerd's SQLite through Miniflare's D1 (the same
 * engine as `wrangler dev`), on the Chinese QA sets in `--qa` (default ../shared/data/qa:
 * XQuAD zh and CMRC 2018 trial, CC BY-SA 4.0; test/fixtures/qa holds XQuAD zh and a CMRC
 * excerpt): each paragraph is one chunk; a question is found at k when a top-k chunk
 * holds a gold answer. Prints recall@k per set and index, and the median query time.
 * Without the sets it says where to get them and exits 0.
 * A benchmark, not a test: it prints.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { containsAnswer, squadSchema } from "../../src/eval/squad.js";
import type { D1Database } from "../../src/store/cloudflare-bindings.js";
import { createCloudflareStore } from "../../src/store/cloudflare-store.js";
import type { ChunkRecord } from "../../src/store/vector-store.js";
import { createFakeVectorize } from "../worker/fake-vectorize.js";

const { values } = parseArgs({ options: { k: { type: "string", default: "1,5,10" }, qa: { type: "string", default: fileURLToPath(new URL("../../../shared/data/qa/", import.meta.url)) } } });
const ks = values.k.split(",").map(Number);
const maxK = Math.max(...ks);
const SETS = ["xquad-part1.zh.json", "cmrc2018_trial.json", "cmrc2018_trial.excerpt.json"];

interface Question {
  question: string;
  answers: string[];
}

async function readSet(file: string): Promise<{ paragraphs: string[]; questions: Question[] } | undefined> {
  const raw = await readFile(path.join(values.qa, file), "utf8").catch(() => undefined);
  if (!raw) return undefined;
  const squad = squadSchema.parse(JSON.parse(raw));
  const paragraphs: string[] = [];
  const questions: Question[] = [];
  for (const article of squad.data) {
    for (const p of article.paragraphs) {
      paragraphs.push(p.context.trim());
      for (const qa of p.qas) {
        const answers = [...new Set(qa.answers.map((a) => a.text.trim()).filter(Boolean))];
        if (answers.length) questions.push({ question: qa.question, answers });
      }
    }
  }
  return { paragraphs, questions };
}

/** Statements of a migration file (triggers keep their inner semicolons). */
function statementsOf(sql: string): string[] {
  const noComments = sql.replace(/^\s*--.*$/gm, "");
  return noComments
    .split(/;\s*\n(?=\s*CREATE|\s*$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const TRIGRAM_SCHEMA = ["CREATE TABLE tri (rowid INTEGER PRIMARY KEY, text TEXT NOT NULL)", "CREATE VIRTUAL TABLE tri_fts USING fts5 (text, content = 'tri', content_rowid = 'rowid', tokenize = 'trigram')"];

/** The question's character trigrams (within runs of letters and digits), quoted and ORed. */
function trigramMatch(text: string): { match: string } | { like: string[] } | undefined {
  const runs = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const grams = new Set<string>();
  for (const run of runs) {
    const chars = Array.from(run);
    for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(""));
  }
  if (grams.size > 0) return { match: [...grams].map((g) => `"${g.replace(/"/g, '""')}"`).join(" OR ") };
  return runs.length ? { like: runs } : undefined;
}

async function main() {
  const sets = (await Promise.all(SETS.map(async (file) => [file, await readSet(file)] as const))).filter((s) => s[1]);
  if (sets.length === 0) {
    console.log(`No Chinese QA sets in ${values.qa}: pass --qa test/fixtures/qa (XQuAD zh and a CMRC excerpt), or a folder with xquad-part1.zh.json (google-deepmind/xquad) and cmrc2018_trial.json (ymcui/cmrc2018).`);
    return;
  }
  const migration = await readFile(new URL("../../migrations/0001_store.sql", import.meta.url), "utf8");
  console.log(`recall@k of keyword search on D1 (workerd SQLite via Miniflare 4.20260426): segmented = unicode61 over Intl.Segmenter words (askdocs), trigram = FTS5 trigram`);
  for (const [file, set] of sets) {
    const mf = new Miniflare({ modules: true, script: "export default { fetch: () => new Response('') }", d1Databases: ["DB"], compatibilityDate: "2026-04-26" });
    try {
      const db = (await mf.getD1Database("DB")) as unknown as D1Database;
      await db.batch([...statementsOf(migration), ...TRIGRAM_SCHEMA].map((s) => db.prepare(s)));
      const store = createCloudflareStore({ db, vectors: createFakeVectorize({ dimensions: 8 }) });
      const collection = await store.openCollection("qa", { embedModel: "none", dims: 8 });
      const { paragraphs, questions } = set!;
      const chunks: ChunkRecord[] = paragraphs.map((text, i) => ({
        id: `p:${i}`,
        documentId: "p",
        source: file,
        title: file,
        page: null,
        pageEnd: null,
        heading: "",
        chunkIndex: i,
        text,
        contentHash: "h",
        vector: null,
        ingestedAt: 0,
      }));
      await collection.writeDocuments([{ documentId: "p", chunks }]);
      for (let i = 0; i < paragraphs.length; i += 50) {
        const part = paragraphs.slice(i, i + 50);
        await db.batch(part.map((text, j) => db.prepare("INSERT INTO tri (rowid, text) VALUES (?, ?)").bind(i + j + 1, text)));
      }
      await db.prepare("INSERT INTO tri_fts (tri_fts) VALUES ('rebuild')").run();

      const found = { segmented: ks.map(() => 0), trigram: ks.map(() => 0) };
      const times = { segmented: [] as number[], trigram: [] as number[] };
      for (const q of questions) {
        let t0 = performance.now();
        const seg = (await collection.keywordSearch(q.question, { topK: maxK })).map((h) => h.text);
        times.segmented.push(performance.now() - t0);
        t0 = performance.now();
        const query = trigramMatch(q.question);
        let tri: string[] = [];
        if (query && "match" in query) {
          tri = (await db.prepare("SELECT t.text FROM tri_fts JOIN tri t ON t.rowid = tri_fts.rowid WHERE tri_fts MATCH ? ORDER BY bm25(tri_fts) LIMIT ?").bind(query.match, maxK).all<{ text: string }>()).results.map(
            (r) => r.text,
          );
        } else if (query) {
          tri = (
            await db
              .prepare(`SELECT text FROM tri WHERE ${query.like.map(() => "text LIKE ?").join(" OR ")} LIMIT ?`)
              .bind(...query.like.map((w) => `%${w}%`), maxK)
              .all<{ text: string }>()
          ).results.map((r) => r.text);
        }
        times.trigram.push(performance.now() - t0);
        ks.forEach((k, i) => {
          if (seg.slice(0, k).some((t) => containsAnswer(t, q.answers))) found.segmented[i]!++;
          if (tri.slice(0, k).some((t) => containsAnswer(t, q.answers))) found.trigram[i]!++;
        });
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      console.log(`\n${file}: ${paragraphs.length} paragraphs, ${questions.length} questions`);
      for (const index of ["segmented", "trigram"] as const) {
        console.log(`  ${index.padEnd(9)} ${ks.map((k, i) => `recall@${k} ${((100 * found[index][i]!) / questions.length).toFixed(1)}%`).join("  ")}  median query ${median(times[index]).toFixed(1)} ms`);
      }
    } finally {
      await mf.dispose();
    }
  }
}

await main();
