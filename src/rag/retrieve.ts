import { NotConfiguredError } from "../errors.js";
import type { Embedder } from "../providers/embed.js";
import type { Reranker } from "../providers/rerank.js";
import type { FusionMethod } from "../store/fusion.js";
import { type Collection, type SearchHit, type SearchMode, type VectorStore } from "../store/vector-store.js";

/**
 * Finds the passages for a question. Hybrid (vector + BM25, fused by rank) when an
 * embedding provider is configured, keyword-only when not. The question is embedded as
 * a *query* (e5 is asymmetric) with the model the collection was built with: opening the
 * collection refuses a mismatch. With a reranker, several times top-k candidates are
 * reranked; if the reranker fails, the fused order stands and the result says so.
 */
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

export async function retrieve(options: RetrieveOptions): Promise<Retrieval> {
  const { embedder, reranker } = options;
  const mode = options.mode ?? (embedder ? "hybrid" : "keyword");
  if (mode !== "keyword" && !embedder) {
    throw new NotConfiguredError(`${mode} search needs an embedding provider. ${options.embedderMissing ?? ""} Keyword search works without one: use "mode": "keyword".`.trim());
  }
  const collection = await openForSearch(options.store, options.collection, embedder);
  const useReranker = reranker && options.rerank !== false ? reranker : undefined;
  const pool = useReranker ? Math.min(100, Math.max(options.topK * RERANK_POOL, 20)) : options.topK;
  const call = { signal: options.signal, maxQueueWaitMs: options.maxQueueWaitMs };
  // The first provider call announces the ones that follow it (reranking, the caller's answer).
  const followUps = (options.followUps ?? 0) + (useReranker ? 1 : 0);

  const vector = mode === "keyword" ? undefined : (await embedder!.embed([options.query], "query", { ...call, followUps }))[0]!;
  const search = (topK: number): Promise<SearchHit[]> =>
    mode === "keyword"
      ? collection.keywordSearch(options.query, { topK })
      : mode === "vector"
        ? collection.search(vector!, { topK })
        : collection.hybridSearch(options.query, vector!, { topK, ...(options.fusion ? { fusion: options.fusion } : {}) });
  const hits = await search(pool);
  if (!useReranker || hits.length === 0) return { hits: hits.slice(0, options.topK), mode };

  try {
    const ranking = await useReranker.rank(options.query, hits.map((h) => h.text), vector ? { ...call, followUp: true } : { ...call, followUps: followUps - 1 });
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
 * With an embedder: open with its model (a mismatch is refused). Without: keyword search
 * does not compare vectors, so the collection opens with whatever model built it.
 */
function openForSearch(store: VectorStore, name: string, embedder: Embedder | undefined): Promise<Collection> {
  return embedder ? store.openCollection(name, { embedModel: embedder.model, dims: embedder.dims, create: false }) : store.openExistingCollection(name);
}
