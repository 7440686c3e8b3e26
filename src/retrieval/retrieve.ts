/**
 * Finds the passages for a question, over any store that meets the contract. Hybrid
 * (vector + BM25, fused by relative score in fusion.ts) when an embedding provider is
 * configured, keyword-only when not. The question is embedded as a *query* (e5 is
 * asymmetric) with the model the collection was built with: opening the collection
 * refuses a mismatch. With a reranker, several times top-k candidates are reranked; if
 * the reranker fails, the fused order stands and the result says so. No HTTP types here.
 */
import { NotConfiguredError } from "../errors.js";
import type { Embedder } from "../providers/embed.js";
import type { Reranker } from "../providers/rerank.js";
import type { Collection, SearchHit, SearchMode, VectorStore } from "../store/vector-store.js";
import { type FusionMethod, fuse } from "./fusion.js";

export interface RetrieveOptions {
  store: VectorStore;
  embedder: Embedder | undefined;
  /** Why there is no embedder: the variables to set. */
  embedderMissing?: string | undefined;
  reranker?: Reranker | undefined;
  collection: string;
  query: string;
  topK: number;
  /** Default: hybrid with an embedder, keyword without. */
  mode?: SearchMode | undefined;
  /** Hybrid fusion method (default `relative`). */
  fusion?: FusionMethod | undefined;
  /** Use the reranker when one is configured (default true). */
  rerank?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Carried into provider calls (X-Request-Id). */
  requestId?: string | undefined;
  /** Fail fast with 429 rather than queue longer for the provider's rate limit. */
  maxQueueWaitMs?: number | undefined;
  /** Provider calls the caller makes after retrieval (an answer's chat call): their slots are held from the first call on. */
  followUps?: number | undefined;
}

export interface RerankReport {
  model: string;
  applied: boolean;
  /** Why the fused order was kept. */
  error?: string;
}

export interface Retrieval {
  hits: SearchHit[];
  mode: SearchMode;
  rerank?: RerankReport;
}

/** Candidates fetched for the reranker, per result kept. */
const RERANK_POOL = 4;
/**
 * The deepest candidate list one search asks a store for, on every backend: Vectorize
 * returns at most 100, and results agree across targets only if LanceDB is cut the same way.
 */
const MAX_POOL = 100;

export async function retrieve(options: RetrieveOptions): Promise<Retrieval> {
  const { embedder, reranker } = options;
  const mode = options.mode ?? (embedder ? "hybrid" : "keyword");
  if (mode !== "keyword" && !embedder) {
    throw new NotConfiguredError(`${mode} search needs an embedding provider. ${options.embedderMissing ?? ""} Keyword search works without one: use "mode": "keyword".`.trim());
  }
  const { store } = options;
  if (mode !== "vector" && !store.capabilities.keywordSearch) {
    throw new NotConfiguredError(`${mode} search needs keyword search, which this store does not offer: use "mode": "vector".`);
  }
  const collection = await openForSearch(store, options.collection, embedder);
  const useReranker = reranker && options.rerank !== false ? reranker : undefined;
  const maxTopK = store.capabilities.maxTopK;
  const pool = useReranker ? Math.min(MAX_POOL, maxTopK, Math.max(options.topK * RERANK_POOL, 20)) : options.topK;
  const call = { signal: options.signal, maxQueueWaitMs: options.maxQueueWaitMs, requestId: options.requestId };
  // The first provider call announces the ones that follow it (reranking, the caller's answer).
  const followUps = (options.followUps ?? 0) + (useReranker ? 1 : 0);

  const vector = mode === "keyword" ? undefined : (await embedder!.embed([options.query], "query", { ...call, followUps }))[0]!;
  const search = (topK: number): Promise<SearchHit[]> =>
    mode === "keyword"
      ? collection.keywordSearch(options.query, { topK })
      : mode === "vector"
        ? collection.vectorSearch(vector!, { topK })
        : hybridSearch(collection, options.query, vector!, { topK, maxTopK, fusion: options.fusion ?? "relative" });
  const hits = await search(pool);
  if (!useReranker || hits.length === 0) return { hits: hits.slice(0, options.topK), mode };

  try {
    const ranking = await useReranker.rank(
      options.query,
      hits.map((h) => h.text),
      vector ? { ...call, followUp: true } : { ...call, followUps: followUps - 1 },
    );
    const reranked = ranking.slice(0, options.topK).map((r) => ({ ...hits[r.index]!, score: r.logit }));
    return { hits: reranked, mode, rerank: { model: useReranker.model, applied: true } };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    // Searched again at top-k: the head of the deeper candidate pool is not what a search
    // without the reranker returns (relative fusion normalises each list over its depth).
    return { hits: await search(options.topK), mode, rerank: { model: useReranker.model, applied: false, error: (error as Error).message } };
  }
}

/**
 * Vector and keyword candidates, fused. A fixed floor on the candidate lists keeps a small
 * top-k result the prefix of a larger one: relative fusion's scores depend on how deep
 * each list goes. The pool is capped at MAX_POOL (and the store's largest top-k), the same
 * on every backend.
 */
export async function hybridSearch(collection: Collection, text: string, vector: Float32Array | number[], options: { topK: number; maxTopK: number; fusion: FusionMethod }): Promise<SearchHit[]> {
  const pool = { topK: Math.min(MAX_POOL, options.maxTopK, Math.max(options.topK * 3, 60)) };
  const [byVector, byKeyword] = await Promise.all([collection.vectorSearch(vector, pool), collection.keywordSearch(text, pool)]);
  return fuse([byVector, byKeyword], options.fusion, options.topK);
}

/**
 * With an embedder: open with its model (a mismatch is refused). Without: keyword search
 * does not compare vectors, so the collection opens with whatever model built it.
 */
function openForSearch(store: VectorStore, name: string, embedder: Embedder | undefined): Promise<Collection> {
  return embedder ? store.openCollection(name, { embedModel: embedder.model, dims: embedder.dims, create: false }) : store.openExistingCollection(name);
}
