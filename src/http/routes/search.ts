import { Hono } from "hono";
import type { AppDeps } from "../app.js";
import { presentHit } from "../present.js";
import { retrieveFor } from "../retrieval.js";
import { searchBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

/** `POST /v1/search`: the top-k passages for a query, best first. */
export function searchRoutes(deps: AppDeps) {
  return new Hono().post("/v1/search", async (c) => {
    const body = await jsonBody(c, searchBody);
    const retrieval = await retrieveFor(deps, c, body);
    return c.json({ results: retrieval.hits.map(presentHit), mode: retrieval.mode, ...(retrieval.rerank ? { rerank: retrieval.rerank } : {}) });
  });
}
