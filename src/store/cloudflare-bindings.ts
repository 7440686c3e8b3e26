/**
 * The parts of Cloudflare's D1 and Vectorize bindings the Cloudflare store uses, typed
 * structurally so that the core typechecks without @cloudflare/workers-types and tests
 * can bind an in-memory Vectorize stand-in (test/worker/fake-vectorize.ts) in place of
 * the real index. Shapes and limits follow Cloudflare's documentation:
 * https://developers.cloudflare.com/vectorize/reference/client-api/ and
 * https://developers.cloudflare.com/d1/worker-api/.
 */

export interface D1Result<T> {
  results: T[];
  success: boolean;
  meta: { changes?: number; rows_read?: number; rows_written?: number };
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  run(): Promise<D1Result<unknown>>;
}

export interface D1Database {
  prepare(query: string): D1PreparedStatement;
  /** Runs the statements in one transaction: all or none. */
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

export type VectorizeMetadata = Record<string, string | number | boolean | string[]>;

export interface VectorizeVector {
  /** At most 64 bytes. */
  id: string;
  values: number[] | Float32Array | Float64Array;
  namespace?: string;
  metadata?: VectorizeMetadata;
}

export type VectorizeFilterValue = string | number | boolean | null;
export type VectorizeFilter = Record<string, VectorizeFilterValue | { $eq?: VectorizeFilterValue; $ne?: VectorizeFilterValue; $in?: VectorizeFilterValue[]; $nin?: VectorizeFilterValue[] }>;

export interface VectorizeQueryOptions {
  /** Default 5; at most 100, or 20 when returning values or all metadata. */
  topK?: number;
  namespace?: string;
  returnValues?: boolean;
  returnMetadata?: boolean | "none" | "indexed" | "all";
  filter?: VectorizeFilter;
}

export interface VectorizeMatch {
  id: string;
  score: number;
  values?: number[];
  namespace?: string;
  metadata?: VectorizeMetadata;
}

export interface VectorizeIndex {
  upsert(vectors: VectorizeVector[]): Promise<{ mutationId: string }>;
  query(vector: number[] | Float32Array | Float64Array, options?: VectorizeQueryOptions): Promise<{ matches: VectorizeMatch[]; count: number }>;
  getByIds(ids: string[]): Promise<VectorizeVector[]>;
  deleteByIds(ids: string[]): Promise<{ mutationId: string }>;
}

/** Vectorize's documented limits, shared by the store (to stay within them) and the stand-in (to enforce them). */
export const VECTORIZE_LIMITS = {
  idBytes: 64,
  namespaceBytes: 64,
  topK: 100,
  topKWithMetadata: 20,
  /** Vectors per upsert (and ids per getByIds/deleteByIds) through a Worker binding. */
  batch: 1000,
  metadataBytes: 10 * 1024,
} as const;
