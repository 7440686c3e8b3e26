/**
 * Embeddings from Workers AI's `@cf/baai/bge-m3` through the Worker's `AI` binding, so a
 * Worker deployment needs no external key to embed. bge-m3 is symmetric (no
 * input_type) and 1024-dimensional, like NIM's `baai/bge-m3`, so collections stay
 * tagged `baai/bge-m3` whichever of the two served them. At most 100 texts per call
 * (https://developers.cloudflare.com/workers-ai/models/bge-m3/). Failures are retried
 * with the shared back-off (capacity errors are transient); the binding's error text
 * carries no key.
 */
import { type EmbedModelProfile, embedModelProfile } from "./embed-models.js";
import type { EmbedKind, EmbedOptions, Embedder } from "./embed.js";
import { ProviderError } from "./provider-error.js";
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs, sleep } from "./retry.js";

export const WORKERS_AI_BGE_M3 = "@cf/baai/bge-m3";
/** Texts per call accepted by the model. */
const MAX_BATCH = 100;

/** The one method of the `AI` binding used here. */
export interface WorkersAI {
  run(model: string, input: { text: string[] }): Promise<unknown>;
}

export interface WorkersAIEmbedderOptions {
  ai: WorkersAI;
  /** Default 100, the model's limit. */
  batchSize?: number;
  retry?: Partial<RetryPolicy>;
}

const PROVIDER = "Workers AI";

export function createWorkersAIEmbedder(options: WorkersAIEmbedderOptions): Embedder {
  const profile: EmbedModelProfile = embedModelProfile("baai/bge-m3");
  const batchSize = Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH);
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const stats = { requests: 0, inputs: 0, truncated: 0 };

  async function run(input: string[], call: EmbedOptions): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      let output: unknown;
      try {
        output = await options.ai.run(WORKERS_AI_BGE_M3, { text: input });
      } catch (cause) {
        const error = new ProviderError({ provider: PROVIDER, kind: "server", message: `${PROVIDER} ${WORKERS_AI_BGE_M3} failed: ${(cause as Error).message ?? String(cause)}`, cause });
        if (attempt >= policy.maxRetries || call.signal?.aborted) throw error;
        await sleep(retryDelayMs(error, attempt, policy), call.signal);
        continue;
      }
      return vectorsOf(output, input.length, profile.dims);
    }
  }

  return {
    model: profile.id,
    dims: profile.dims,
    profile,
    async embed(texts: string[], _kind: EmbedKind, call: EmbedOptions = {}) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        out.push(...(await run(batch, call)));
        stats.inputs += batch.length;
      }
      return out;
    },
    stats: () => ({ ...stats, batchSize }),
  };
}

/** `{ shape: [n, dims], data: number[][] }`, checked: a wrong shape is an error, not bad vectors. */
function vectorsOf(output: unknown, expected: number, dims: number): Float32Array[] {
  const data = (output as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== expected || !data.every((v) => Array.isArray(v) && v.length === dims)) {
    throw new ProviderError({ provider: PROVIDER, kind: "invalid_response", message: `${PROVIDER} ${WORKERS_AI_BGE_M3} returned no ${expected}×${dims} \`data\` array.` });
  }
  return data.map((v: number[]) => Float32Array.from(v));
}
