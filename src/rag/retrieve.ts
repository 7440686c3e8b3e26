import { NotConfiguredError } from "../errors.js";
import type { Embedder } from "../providers/embed.js";
import type { SearchHit, VectorStore } from "../store/vector-store.js";

/**
 * Finds the passages for a question: embeds it as a *query* (e5 is asymmetric) with the
 * model the collection was built with, then searches the collection. Opening the
 * collection refuses a model mismatch, so vectors of two models are never compared.
 */
export interface RetrieveOptions {
  store: VectorStore;
  embedder: Embedder | undefined;
  /** Why there is no embedder: the variables to set. */
  embedderMissing?: string | undefined;
  collection: string;
  query: string;
  topK: number;
  signal?: AbortSignal | undefined;
  /** Fail fast with 429 rather than queue longer for the provider's rate limit. */
  maxQueueWaitMs?: number | undefined;
}

export async function retrieve(options: RetrieveOptions): Promise<SearchHit[]> {
  const { embedder } = options;
  if (!embedder) throw new NotConfiguredError(options.embedderMissing ?? "No embedding provider is configured.");
  const collection = await options.store.openCollection(options.collection, { embedModel: embedder.model, dims: embedder.dims, create: false });
  const [vector] = await embedder.embed([options.query], "query", { signal: options.signal, maxQueueWaitMs: options.maxQueueWaitMs });
  return collection.search(vector!, { topK: options.topK });
}
