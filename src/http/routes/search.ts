import { Hono } from "hono";
import { retrieve } from "../../rag/retrieve.js";
import type { AppDeps } from "../app.js";
import { presentHit } from "../present.js";
import { searchBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

/** `POST /v1/search`: the top-k passages for a query, best first. */
export function searchRoutes(deps: AppDeps) {
  return new Hono().post("/v1/search", async (c) => {
    const body = await jsonBody(c, searchBody);
    const retrieval = await retrieve({
      store: deps.store,
      embedder: deps.providers.embedder,
      embedderMissing: deps.providers.embedderMissing,
      reranker: deps.providers.reranker,
      collection: body.collection,
      query: body.query,
      topK: body.top_k,
      mode: body.mode,
      rerank: body.rerank,
      fusion: deps.config.HYBRID_FUSION,
      signal: c.req.raw.signal,
      maxQueueWaitMs: deps.config.REQUEST_QUEUE_WAIT_MS,
    });
    return c.json({ results: retrieval.hits.map(presentHit), mode: retrieval.mode, ...(retrieval.rerank ? { rerank: retrieval.rerank } : {}) });
  });
}
