/**
 * Real questions over real documents for retrieval tests: XQuAD (CC BY-SA 4.0,
 * test/fixtures/qa), the same 24 Wikipedia articles in English and Chinese, read
 * through the eval's own parser so tests and `npm run eval` agree on what a hit is.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SourceFile } from "../../ingest/pipeline.js";
import { type EvalArticle, type EvalQuestion, articlesOf, containsAnswer, squadSchema } from "../../src/eval/squad.js";
import type { Embedder } from "../../src/providers/embed.js";
import type { SearchHit } from "../../src/store/vector-store.js";
import { FIXTURES } from "./ingest-data.js";

export type Language = "en" | "zh";

export interface LabelledQuestion extends EvalQuestion {
  language: Language;
  /** Whether the question was rewritten with typos (see withTypos). */
  typos: boolean;
}

export async function readXquad(language: Language): Promise<{ articles: EvalArticle[]; questions: EvalQuestion[] }> {
  const raw = JSON.parse(await readFile(path.join(FIXTURES, "qa", `xquad-part1.${language}.json`), "utf8")) as unknown;
  return articlesOf(squadSchema.parse(raw));
}

/**
 * A question as a hurried user types it. English: the two middle letters of every word
 * longer than six letters swapped ("retrieval" → "retreival"). Chinese: every fourth
 * character dropped. Fixed rules, not chosen per question.
 */
export function withTypos(question: string, language: Language): string {
  if (language === "zh")
    return Array.from(question)
      .filter((_, i) => i % 4 !== 3)
      .join("");
  return question.replace(/\p{L}{7,}/gu, (word) => {
    const letters = Array.from(word);
    const i = Math.floor(letters.length / 2) - 1;
    [letters[i], letters[i + 1]] = [letters[i + 1]!, letters[i]!];
    return letters.join("");
  });
}

/** A temp directory removed by the returned function. */
export async function scratchDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `askdocs-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes Markdown documents into `dir` and returns them as the pipeline reads files. */
export async function markdownFiles(dir: string, documents: { fileName: string; markdown: string }[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const doc of documents) {
    const file = path.join(dir, doc.fileName);
    const bytes = new TextEncoder().encode(doc.markdown);
    await writeFile(file, bytes);
    files.push({ source: file.split(path.sep).join("/"), size: bytes.length, read: () => readFile(file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) });
  }
  return files;
}

/** 1-based rank of the first hit from the question's article that holds a gold answer; 0 when none does. */
export function rankOfAnswer(hits: SearchHit[], question: EvalQuestion): number {
  return hits.findIndex((h) => h.source.endsWith(`/${question.article}`) && containsAnswer(h.text, question.answers)) + 1;
}

/**
 * The embedder with its query vectors remembered: an evaluation asks the same question
 * in several modes, and the vector does not change between them.
 */
export function rememberQueries(embedder: Embedder): Embedder {
  const known = new Map<string, Promise<Float32Array[]>>();
  return {
    model: embedder.model,
    dims: embedder.dims,
    profile: embedder.profile,
    stats: () => embedder.stats(),
    embed(texts, kind, options) {
      if (kind !== "query") return embedder.embed(texts, kind, options);
      const key = JSON.stringify(texts);
      let vectors = known.get(key);
      if (!vectors) {
        vectors = embedder.embed(texts, kind, options);
        known.set(key, vectors);
      }
      return vectors;
    },
  };
}
