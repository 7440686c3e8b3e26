import type { FusionMethod } from "./fusion.js";

/**
 * The storage contract the rest of askdocs talks to. The Node build uses LanceDB
 * (lance-store.ts); other runtimes (Workers) provide their own implementation.
 * Nothing here imports a Node-only module.
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
  /** Higher is better: cosine similarity (vector), BM25 (keyword) or reciprocal-rank-fusion score (hybrid). */
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
  /** How hybrid search fuses its two lists (default `relative`). */
  fusion?: FusionMethod;
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
   * Replaces every chunk of `documentId` with `chunks` in one commit: a concurrent
   * reader sees either the old document or the new one, never a mix or a part.
   */
  replaceDocument(documentId: string, chunks: ChunkRecord[]): Promise<void>;
  /** Removes a document; false when it did not exist. */
  deleteDocument(documentId: string): Promise<boolean>;
  listDocuments(): Promise<DocumentInfo[]>;
  getDocument(documentId: string): Promise<DocumentInfo | undefined>;
  /** Nearest chunks by cosine similarity (chunks without a vector are never returned). */
  search(vector: Float32Array | number[], options: SearchOptions): Promise<SearchHit[]>;
  /** Full-text (BM25) search over chunk text, in English and Chinese. */
  keywordSearch(text: string, options: SearchOptions): Promise<SearchHit[]>;
  /** Vector and keyword results fused by reciprocal rank. */
  hybridSearch(text: string, vector: Float32Array | number[], options: SearchOptions): Promise<SearchHit[]>;
  /**
   * Upkeep after writes: builds missing indexes (full-text; vector once the collection
   * is large enough), folds new rows into them, compacts fragments and removes old
   * versions by the store's policy. Readers are never blocked.
   */
  optimize(): Promise<MaintenanceReport>;
  /** Number of chunks. */
  count(): Promise<number>;
}

export interface VectorStore {
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
