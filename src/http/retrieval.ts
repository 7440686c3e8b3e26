import type { Context } from "hono";
import { type Retrieval, retrieve } from "../rag/retrieve.js";
import type { SearchMode } from "../store/vector-store.js";
import type { AppDeps } from "./app.js";

/** Retrieval for an HTTP request: the app's parts and limits, the request's own choices and abort signal. */
export function retrieveFor(deps: AppDeps, c: Context, request: { query: string; collection: string; top_k: number; mode?: SearchMode | undefined; rerank?: boolean | undefined; followUps?: number }): Promise<Retrieval> {
  return retrieve({
    store: deps.store,
    embedder: deps.providers.embedder,
    embedderMissing: deps.providers.embedderMissing,
    reranker: deps.providers.reranker,
    collection: request.collection,
    query: request.query,
    topK: request.top_k,
    mode: request.mode,
    rerank: request.rerank,
    fusion: deps.config.HYBRID_FUSION,
    signal: c.req.raw.signal,
    maxQueueWaitMs: deps.config.REQUEST_QUEUE_WAIT_MS,
    followUps: request.followUps,
  });
}
