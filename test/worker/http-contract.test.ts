/**
 * The HTTP contract suite (test/http-contract.ts) against the Worker entry in workerd:
 * D1 in Miniflare, the Vectorize stand-in bound as VECTORIZE (one index shared by every
 * configuration the suite opens, as one deployment has one), the fake NIM provider in
 * the Node host reached over loopback.
 */
import { env } from "cloudflare:test";
import { silentLogger } from "../../src/logger.js";
import { createWorker } from "../../src/worker.js";
import { describeHttpContract } from "../http-contract.js";
import { createFakeVectorize } from "./fake-vectorize.js";
import { workerEnv } from "./worker-env.js";

describeHttpContract("the Worker (D1 + Vectorize stand-in)", async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM chunks"), env.DB.prepare("DELETE FROM collections")]);
  const worker = createWorker({ providers: { baseDelayMs: 5 }, logger: silentLogger });
  const vectors = createFakeVectorize({ dimensions: 1024, metadataIndexes: ["documentId"] });
  return {
    pdfs: { fourPages: env.PDF_FOUR_PAGES, encrypted: env.PDF_ENCRYPTED },
    async open(vars = {}) {
      const bindings = workerEnv({ VECTORIZE: vectors, ...vars });
      return { fetch: (request) => worker.fetch(request, bindings) };
    },
  };
});
