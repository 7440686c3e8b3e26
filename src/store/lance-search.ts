/**
 * The two ways a LanceDB collection table is searched: vector (cosine) and keyword (BM25
 * over the full-text index). Hybrid search runs both and fuses them above the store
 * (src/retrieval/), rather than through LanceDB's `fullTextSearch().nearestTo().rerank()`:
 * the same two queries, but the fusion method is ours to choose and measure.
 */
import type { Table } from "@lancedb/lancedb";
import type { Table as ArrowTable } from "apache-arrow";
import { checkSearch, checkVector } from "./checks.js";
import { DISTANCE_COLUMN, SCALAR_COLUMNS, SCORE_COLUMN, column, readChunks } from "./lance-schema.js";
import { sqlIn } from "./sql-filter.js";
import type { SearchHit, SearchOptions } from "./vector-store.js";

/** LanceDB sets no top-k ceiling: this is askdocs's own bound on one search (retrieval's candidate pools stop at 100, MAX_POOL in src/retrieval/retrieve.ts). */
export const LANCE_MAX_TOP_K = 1000;

/** Query-time settings of the vector index (ignored while a collection has none). */
export interface VectorQueryTuning {
  /** IVF partitions probed per query. */
  nprobes: number;
  /** Candidates re-ranked with exact distances, as a multiple of top-k (PQ/RQ indexes). */
  refineFactor?: number;
}

/** The `where` clause of the options; null when the filter admits nothing (an empty list). */
function filterOf(options: SearchOptions): string | undefined | null {
  checkSearch(options, LANCE_MAX_TOP_K);
  const filters: string[] = [];
  for (const [column, list] of [
    ["document_id", options.documentIds],
    ["source", options.sources],
  ] as const) {
    if (list === undefined) continue;
    if (list.length === 0) return null;
    filters.push(sqlIn(column, list));
  }
  return filters.length > 0 ? filters.join(" AND ") : undefined;
}

function hitsOf(result: ArrowTable, scoreColumn: string, toScore: (raw: number) => number): SearchHit[] {
  const scores = column(result, scoreColumn);
  return readChunks(result)
    .map((chunk, i) => ({ ...chunk, score: toScore(Number(scores.get(i))) }))
    .sort((a, b) => b.score - a.score);
}

/** Stops a query text from being read as query syntax: plain words, matched with OR. */
function plainText(text: string): string {
  return text
    .replace(/["'()[\]{}:^~*?\\+\-!]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export async function vectorSearch(table: Table, vector: Float32Array | number[], dims: number, options: SearchOptions, tuning?: VectorQueryTuning): Promise<SearchHit[]> {
  const query = checkVector(vector, dims, "the query vector");
  const where = filterOf(options);
  if (where === null) return [];
  let search = table
    .vectorSearch(query)
    .distanceType("cosine")
    .select([...SCALAR_COLUMNS, DISTANCE_COLUMN])
    .limit(options.topK);
  if (tuning) {
    search = search.nprobes(tuning.nprobes);
    if (tuning.refineFactor) search = search.refineFactor(tuning.refineFactor);
  }
  // A vector query prefilters by default: top-k among the matching rows.
  if (where) search = search.where(where);
  return hitsOf(await search.toArrow(), DISTANCE_COLUMN, (d) => 1 - d);
}

/**
 * How many matches to ask LanceDB for. It merges indexed and unindexed rows sorted by
 * score, but while the full-text index covers no row at all (a new collection before
 * its first upkeep) its plan (0.37) is a bare limit over a flat scan: the first k
 * matches in storage order, not the best k. Then every match is fetched and sorted here.
 */
async function keywordLimit(table: Table, topK: number): Promise<number> {
  const index = (await table.listIndices()).find((i) => i.columns.includes("text"));
  if (index?.numIndexedRows !== 0 || !index.numUnindexedRows) return topK;
  return Math.max(topK, index.numUnindexedRows);
}

export async function keywordSearch(table: Table, text: string, options: SearchOptions): Promise<SearchHit[]> {
  const where = filterOf(options);
  const words = plainText(text);
  if (where === null || words === "") return [];
  let search = table
    .query()
    .fullTextSearch(words, { columns: ["text"] })
    .select([...SCALAR_COLUMNS, SCORE_COLUMN])
    .limit(await keywordLimit(table, options.topK));
  if (where) search = search.where(where);
  return hitsOf(await search.toArrow(), SCORE_COLUMN, (s) => s).slice(0, options.topK);
}
