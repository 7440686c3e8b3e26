import { z } from "zod";
import type { CallOptions, Transport } from "./transport.js";

/**
 * NIM reranking. Hosted: `POST https://ai.api.nvidia.com/v1/retrieval/nvidia/<model>/reranking`
 * with the model name's dots as underscores; a self-hosted container: `POST /v1/ranking`.
 * Same body and answer either way (REFERENCE.md).
 */
export interface Reranker {
  readonly model: string;
  /** Indexes of `passages`, best first, with the model's logit. */
  rank(query: string, passages: string[], options?: Pick<CallOptions, "signal" | "maxQueueWaitMs" | "followUps" | "followUp" | "requestId">): Promise<{ index: number; logit: number }[]>;
}

const rankingSchema = z.object({
  rankings: z.array(z.object({ index: z.number().int().nonnegative(), logit: z.number() })),
});

/** `nvidia/llama-3.2-nv-rerankqa-1b-v2` → `nvidia/llama-3_2-nv-rerankqa-1b-v2`, the hosted path segment. */
export function hostedRerankPath(model: string): string {
  return `/${model.replace(/\./g, "_")}/reranking`;
}

export function createReranker(options: { transport: Transport; model: string; path: string }): Reranker {
  const { transport, model, path } = options;
  return {
    model,
    async rank(query, passages, call = {}) {
      if (passages.length === 0) return [];
      const result = await transport.postJson(path, { model, query: { text: query }, passages: passages.map((text) => ({ text })), truncate: "END" }, rankingSchema, { ...call, model });
      const seen = new Set<number>();
      // Sorted by logit here too: the order is documented, but a server that forgets must not reorder our results.
      return result.rankings.filter((r) => r.index < passages.length && !seen.has(r.index) && seen.add(r.index)).sort((a, b) => b.logit - a.logit);
    },
  };
}
