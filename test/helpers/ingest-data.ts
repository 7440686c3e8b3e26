import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "../../src/errors.js";
import { embedModelProfile } from "../../src/providers/embed-models.js";
import { openLanceStore } from "../../src/store/lance-store.js";
import type { StoredChunk } from "../../src/store/vector-store.js";

/** Test data kept in the repo; origins and licences in test/fixtures/LICENCES.md. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** The model the command uses by default (EMBED_MODEL unset). */
export const E5 = embedModelProfile("nvidia/nv-embedqa-e5-v5");

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `askdocs-${prefix}-`));
}

/**
 * Every chunk of a collection, sorted by id, read through a NEW store instance (so
 * nothing is served from a handle cached before another process wrote); undefined
 * when the collection does not exist. A flat vector search with topK = row count
 * returns every row: the store has no "list chunks" call.
 */
export async function readChunks(uri: string, collection = "default"): Promise<StoredChunk[] | undefined> {
  const store = await openLanceStore({ uri });
  try {
    const opened = await store.openCollection(collection, { embedModel: E5.id, dims: E5.dims, create: false }).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!opened) return undefined;
    const count = await opened.count();
    if (count === 0) return [];
    const hits = await opened.vectorSearch(new Array<number>(E5.dims).fill(1 / Math.sqrt(E5.dims)), { topK: count });
    if (hits.length !== count) throw new Error(`read ${hits.length} of ${count} rows`);
    return hits.map(({ score: _score, ...chunk }) => chunk).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  } finally {
    await store.close();
  }
}

/** What must not change between two equivalent runs (everything but the write time). */
export function content(chunks: StoredChunk[] | undefined): Omit<StoredChunk, "ingestedAt">[] {
  return (chunks ?? []).map(({ ingestedAt: _at, ...rest }) => rest);
}

/** Chunks grouped by source. */
export function bySource(chunks: StoredChunk[] | undefined): Map<string, StoredChunk[]> {
  const groups = new Map<string, StoredChunk[]>();
  for (const chunk of chunks ?? []) groups.set(chunk.source, [...(groups.get(chunk.source) ?? []), chunk]);
  for (const group of groups.values()) group.sort((a, b) => a.chunkIndex - b.chunkIndex);
  return groups;
}

interface Squad {
  data: Array<{ title: string; paragraphs: Array<{ context: string }> }>;
}

/**
 * Writes each XQuAD article (CC BY-SA 4.0, test/fixtures/qa) as a Markdown document:
 * `# title`, then its paragraphs. Returns the paths written.
 */
export async function writeXquadArticles(dir: string, language: "en" | "zh", options: { limit?: number } = {}): Promise<string[]> {
  const squad = JSON.parse(await readFile(path.join(FIXTURES, "qa", `xquad-part1.${language}.json`), "utf8")) as Squad;
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [i, article] of squad.data.slice(0, options.limit).entries()) {
    const file = path.join(dir, `xquad-${language}-${String(i).padStart(2, "0")}.md`);
    const title = article.title.replace(/_/g, " ");
    await writeFile(file, `# ${title}\n\n${article.paragraphs.map((p) => p.context.trim()).join("\n\n")}\n`);
    written.push(file);
  }
  return written;
}

const TOPICS = ["harbours", "orchards", "bridges", "glaciers", "libraries", "railways", "markets", "forests", "rivers", "observatories"];

/** `count` small generated Markdown notes with three headed sections each (our own words). */
export async function writeNotes(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const sections = ["History", "How it works", "Visiting"].map(
      (heading, s) =>
        `## ${heading}\n\n` +
        Array.from(
          { length: 4 },
          (_, k) => `Note ${i} about ${topic}, section ${s}, sentence ${k}: the ${topic} of district ${i * 7 + k} were surveyed in year ${1900 + i * 3 + s} and recorded by clerk number ${k + s * 11}.`,
        ).join(" "),
    );
    const file = path.join(dir, `note-${String(i).padStart(2, "0")}.md`);
    await writeFile(file, `# Note ${i}: ${topic}\n\n${sections.join("\n\n")}\n`);
    written.push(file);
  }
  return written;
}
