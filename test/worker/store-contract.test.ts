/**
 * The store contract suite (test/store-contract.ts), the same one LanceDB and the
 * in-memory store pass, against the Cloudflare store in workerd: D1 in Miniflare and the
 * Vectorize stand-in in deferred mode, so every write really is invisible to vector
 * search until `settle` (Vectorize's eventual visibility) flushes it.
 */
import { env } from "cloudflare:test";
import { createCloudflareStore } from "../../src/store/cloudflare-store.js";
import { describeStoreContract } from "../store-contract.js";
import { createFakeVectorize } from "./fake-vectorize.js";

describeStoreContract("Cloudflare (D1 + Vectorize stand-in)", async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM chunks"), env.DB.prepare("DELETE FROM collections")]);
  const vectors = createFakeVectorize({ dimensions: 8, metadataIndexes: ["documentId"], deferred: true });
  return { store: createCloudflareStore({ db: env.DB, vectors }), settle: async () => vectors.flush() };
});
