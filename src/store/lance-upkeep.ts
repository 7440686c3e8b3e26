/**
 * Index upkeep for a collection table. LanceDB compacts nothing and indexes nothing by
 * itself: every write adds a fragment and a version. After ingest runs askdocs calls
 * `maintain`, which creates the full-text index if missing, the vector index once the
 * collection passes the size where brute force gets slow, folds new rows into both,
 * compacts fragments and deletes versions older than the keep window. All of it is
 * copy-on-write: readers keep using the version they started on.
 */
import { Index, type Table } from "@lancedb/lancedb";
import type { MaintenanceReport } from "./vector-store.js";
import type { VectorQueryTuning } from "./lance-search.js";

/**
 * Full-text index: ICU word segmentation splits Chinese (no spaces) into words and
 * Latin text at spaces and punctuation; lower-cased, ASCII-folded, English stemming
 * (stemming leaves Chinese untouched). No stop-word removal: it is English-only and
 * would also drop words people search for ("The Who").
 */
export function ftsIndex(): Index {
  // A fresh object each time: LanceDB consumes an Index on use ("attempt to use an index more than once").
  return Index.fts({ baseTokenizer: "icu", lowercase: true, asciiFolding: true, stem: true, language: "English", removeStopWords: false, withPosition: false });
}

export interface VectorIndexPolicy {
  /** Create the vector index once this many chunks have vectors. */
  minRows: number;
  /** The index for a collection of `rows` vectors. */
  build(rows: number): Index;
  /** Query settings once the index exists. */
  tuning: VectorQueryTuning;
}

export interface UpkeepOptions {
  vectorIndex: VectorIndexPolicy;
  /** Versions older than this are deleted (default one hour: long enough for any reader in flight). */
  keepVersionsMs: number;
}

export async function hasIndexOn(table: Table, column: string): Promise<boolean> {
  return (await table.listIndices()).some((index) => index.columns.includes(column));
}

export async function maintain(table: Table, options: UpkeepOptions): Promise<MaintenanceReport> {
  const started = Date.now();
  const createdIndexes: string[] = [];
  if (!(await hasIndexOn(table, "text"))) {
    await table.createIndex("text", { config: ftsIndex() });
    createdIndexes.push("text (full-text)");
  }
  // B-tree indexes on the keys every document replace and delete filters by: without them
  // each one-commit merge scans the whole table, and ingest slows as a collection grows.
  for (const column of ["id", "document_id"]) {
    if (!(await hasIndexOn(table, column))) {
      await table.createIndex(column, { config: Index.btree() });
      createdIndexes.push(column);
    }
  }
  if (!(await hasIndexOn(table, "vector"))) {
    const rows = await table.countRows("vector IS NOT NULL");
    if (rows >= options.vectorIndex.minRows) {
      await table.createIndex("vector", { config: options.vectorIndex.build(rows) });
      createdIndexes.push("vector");
    }
  }
  // Compaction, index update with new rows, and version cleanup in one call.
  const stats = await table.optimize({ cleanupOlderThan: new Date(Date.now() - options.keepVersionsMs) });
  return {
    createdIndexes,
    compactedFragments: stats.compaction.fragmentsRemoved,
    removedVersions: stats.prune.oldVersionsRemoved,
    durationMs: Date.now() - started,
  };
}
