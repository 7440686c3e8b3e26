/**
 * The storage contract the rest of askdocs talks to, small enough for any backend:
 * LanceDB on Node (lance-store.ts), an exact in-memory store for fast tests
 * (memory-store.ts), Vectorize + D1 on Workers. A store writes whole documents, deletes,
 * lists, counts, and answers two kinds of search: vector (cosine) and keyword. Hybrid
 * fusion, candidate pools and reranking happen above it, in src/retrieval/. What a
 * backend can and cannot do is declared in `capabilities`; upkeep (compaction, index
 * builds) is an optional method. Nothing here imports a Node-only module.
 */

/** One chunk of one document, as stored: enough to cite it. */
export interface ChunkRecord {
  /** Stable id: `${documentId}:${chunkIndex}`. */
  id: string;
  documentId: string;
  /** Normalised source path or upload name. */
  source: string;
  title: string;
  /** First page (1-based) the chunk comes from; null for formats without pages. */
  page: number | null;
  /** Last page when the chunk spans several; null otherwise. */
  pageEnd: number | null;
  /** Heading path, e.g. `Intro > Setup`; empty when none. */
  heading: string;
  chunkIndex: number;
  text: string;
  /** Hash of the whole source document's content: equal hash = unchanged document. */
  contentHash: string;
  /** Null when no embedding provider was configured at ingest: the chunk is found by keyword only. */
  vector: Float32Array | number[] | null;
  /** Milliseconds since the epoch. */
  ingestedAt: number;
}

export type StoredChunk = Omit<ChunkRecord, "vector">;

export interface SearchHit extends StoredChunk {
  /** Higher is better: cosine similarity (vector), BM25 (keyword), or the fused score (hybrid, src/retrieval/fusion.ts). */
  score: number;
}

export type SearchMode = "vector" | "keyword" | "hybrid";

export interface DocumentInfo {
  documentId: string;
  source: string;
  title: string;
  contentHash: string;
  chunks: number;
  /** Chunks that have a vector (fewer than `chunks` when ingested without an embedding provider). */
  embedded: number;
  ingestedAt: number;
}

/** What one maintenance pass did. */
export interface MaintenanceReport {
  createdIndexes: string[];
  compactedFragments: number;
  removedVersions: number;
  durationMs: number;
}

export interface CollectionInfo {
  name: string;
  embedModel: string;
  dims: number;
  documents: number;
  chunks: number;
}

export interface SearchOptions {
  topK: number;
  /** Restrict to these documents (exact ids). */
  documentIds?: string[];
  /** Restrict to these sources (exact normalised paths). */
  sources?: string[];
}

/** One document's new content: it replaces every chunk stored under `documentId` (none: the document is removed). */
export interface DocumentWrite {
  documentId: string;
  chunks: ChunkRecord[];
}

/** What a backend can do; the retrieval layer and the HTTP API adapt to it. */
export interface StoreCapabilities {
  /** Keyword (full-text) search exists; without it keyword and hybrid modes are refused. */
  keywordSearch: boolean;
  /** Keyword search splits Chinese text into words (ICU, a segmenter); false for character n-grams. */
  segmentsChinese: boolean;
  /** The largest top-k one search returns; candidate pools are capped to it. */
  maxTopK: number;
  /** A write is searchable as soon as it returns; false where the index catches up later (Vectorize). */
  readsOwnWrites: boolean;
}

export interface OpenCollectionOptions {
  embedModel: string;
  dims: number;
  /** Create the collection when it does not exist (default true). */
  create?: boolean;
}

export interface Collection {
  readonly name: string;
  readonly embedModel: string;
  readonly dims: number;
  /**
   * Replaces each listed document with its new chunks. Each document is written whole or
   * not at all: a concurrent reader sees its old version or its new one, never a mix or a
   * part. Backends may commit several documents at once (LanceDB: one commit per call).
   */
  writeDocuments(documents: DocumentWrite[]): Promise<void>;
  /** Removes a document; false when it did not exist. */
  deleteDocument(documentId: string): Promise<boolean>;
  listDocuments(): Promise<DocumentInfo[]>;
  getDocument(documentId: string): Promise<DocumentInfo | undefined>;
  /** The top-k chunks by cosine similarity, best first (chunks without a vector are never returned). */
  vectorSearch(vector: Float32Array | number[], options: SearchOptions): Promise<SearchHit[]>;
  /** The top-k chunks by full-text relevance (BM25), best first, in English and Chinese. */
  keywordSearch(text: string, options: SearchOptions): Promise<SearchHit[]>;
  /**
   * Optional upkeep after writes, for backends that need it: build missing indexes, fold
   * new rows into them, compact, remove old versions. Readers are never blocked.
   */
  upkeep?(): Promise<MaintenanceReport>;
  /** Number of chunks. */
  count(): Promise<number>;
}

export interface VectorStore {
  readonly capabilities: StoreCapabilities;
  /** Opens (and by default creates) a collection; refuses one built by another embedding model. */
  openCollection(name: string, options: OpenCollectionOptions): Promise<Collection>;
  /** Opens an existing collection with the model that built it, for work that compares no vectors (keyword search, listing, deleting). */
  openExistingCollection(name: string): Promise<Collection>;
  listCollections(): Promise<CollectionInfo[]>;
  dropCollection(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Collection names become table names: keep them portable. */
export const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
