/** `POST /v1/search`: the top-k passages for a query, best first. */
import { Hono } from "hono";
import type { Runtime } from "../../runtime/runtime.js";
import { presentHit } from "../present.js";
import { requestIdOf } from "../request-log.js";
import { searchBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

export function searchRoutes(rt: Runtime) {
  return new Hono().post("/v1/search", async (c) => {
    const body = await jsonBody(c, searchBody);
    const retrieval = await rt.search({ query: body.query, collection: body.collection, topK: body.top_k, mode: body.mode, rerank: body.rerank, signal: c.req.raw.signal, requestId: requestIdOf(c) });
    return c.json({ results: retrieval.hits.map(presentHit), mode: retrieval.mode, ...(retrieval.rerank ? { rerank: retrieval.rerank } : {}) });
  });
}
