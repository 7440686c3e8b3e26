import { z } from "zod";
import type { EmbedModelProfile } from "./embed-models.js";
import { ProviderError } from "./provider-error.js";
import type { CallOptions, Transport } from "./transport.js";

/**
 * Embeddings over an OpenAI-compatible `/embeddings` endpoint, driven by the model's
 * profile: batching (halved when the server says the batch is too large), input_type
 * for asymmetric models, truncation as a safety net, order by `index`, dimension check.
 */
export type InputTypeMode = "field" | "prefix" | "none";
export type EmbedKind = "query" | "passage";

export interface EmbedderOptions {
  transport: Transport;
  profile: EmbedModelProfile;
  /**
   * `field`: send `input_type` (NIM, hosted or container). `prefix`: prepend `query: ` /
   * `passage: ` (vLLM, Ollama, TEI ignore the field). `none`: neither. Default `field`.
   */
  inputTypeMode?: InputTypeMode;
  /** Inputs per request (default 32). */
  batchSize?: number;
  /** The model's own token count, to report inputs the server had to truncate. */
  countTokens?: (text: string) => number;
}

export interface EmbedStats {
  requests: number;
  inputs: number;
  /** Inputs longer than the model's limit, cut by `truncate: "END"`. */
  truncated: number;
  /** Current batch size after any halving. */
  batchSize: number;
}

/** See CallOptions: queue-wait budget, pacing lane, follow-up calls of the same request. */
export type EmbedOptions = Pick<CallOptions, "signal" | "maxQueueWaitMs" | "lane" | "followUps" | "requestId">;

export interface Embedder {
  readonly model: string;
  readonly dims: number;
  readonly profile: EmbedModelProfile;
  embed(texts: string[], kind: EmbedKind, options?: EmbedOptions): Promise<Float32Array[]>;
  stats(): EmbedStats;
}

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.union([z.array(z.number()), z.string()]) })),
});

/** Little-endian float32s, as OpenAI-compatible servers send `encoding_format: "base64"`. */
function decodeBase64Floats(data: string): Float32Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

export function createEmbedder(options: EmbedderOptions): Embedder {
  const { transport, profile } = options;
  const mode = options.inputTypeMode ?? "field";
  let batchSize = options.batchSize ?? 32;
  const stats = { requests: 0, inputs: 0, truncated: 0 };

  const prepare = (texts: string[], kind: EmbedKind) => (mode === "prefix" && profile.asymmetric ? texts.map((t) => `${kind}: ${t}`) : texts);

  const requestBody = (input: string[], kind: EmbedKind) => {
    // NIM rejects fields a model does not take, so the body carries only what applies.
    // NIM documents base64 vectors: a quarter of the bytes of JSON floats, and about 5 ms
    // less parsing per 32-input batch on the event loop that also answers questions.
    // Self-hosted servers get floats, which every OpenAI-compatible server returns.
    return {
      model: profile.id,
      input,
      encoding_format: mode === "field" ? "base64" : "float",
      ...(mode === "field" ? { truncate: "END" } : {}),
      ...(mode === "field" && profile.asymmetric ? { input_type: kind } : {}),
    };
  };

  async function embedBatch(input: string[], kind: EmbedKind, call: EmbedOptions): Promise<Float32Array[]> {
    stats.requests++;
    const result = await transport.postJson("/embeddings", requestBody(input, kind), responseSchema, { ...call, model: profile.id });
    const vectors: Float32Array[] = new Array(input.length);
    for (const item of result.data) {
      if (item.index >= input.length) continue;
      const vector = typeof item.embedding === "string" ? decodeBase64Floats(item.embedding) : Float32Array.from(item.embedding);
      if (vector.length !== profile.dims) {
        throw new ProviderError({
          provider: transport.provider,
          kind: "invalid_response",
          message: `Embedding model "${profile.id}" returned ${vector.length}-dim vectors; askdocs expects ${profile.dims}. Check that the server at ${transport.baseURL} really serves ${profile.id} (EMBED_MODEL, EMBED_BASE_URL).`,
        });
      }
      vectors[item.index] = vector;
    }
    for (let i = 0; i < input.length; i++) {
      if (!vectors[i]) {
        throw new ProviderError({ provider: transport.provider, kind: "invalid_response", message: `${transport.provider} returned ${result.data.length} embeddings for ${input.length} inputs (index ${i} missing).` });
      }
    }
    return vectors;
  }

  return {
    model: profile.id,
    dims: profile.dims,
    profile,
    async embed(texts, kind, call = {}) {
      const out: Float32Array[] = [];
      let start = 0;
      while (start < texts.length) {
        const batch = prepare(texts.slice(start, start + batchSize), kind);
        try {
          // Follow-ups come after the whole embedding: announced with its first request only.
          out.push(...(await embedBatch(batch, kind, out.length === 0 ? call : { ...call, followUps: undefined })));
        } catch (error) {
          // Max inputs per request is unpublished: learn it from the server's refusal.
          if (error instanceof ProviderError && error.kind === "batch_too_large" && batch.length > 1) {
            batchSize = Math.max(1, Math.floor(batch.length / 2));
            continue;
          }
          throw error;
        }
        if (options.countTokens) {
          const limit = profile.maxTokens - 2; // [CLS] and [SEP]
          stats.truncated += batch.filter((t) => options.countTokens!(t) > limit).length;
        }
        stats.inputs += batch.length;
        start += batch.length;
      }
      return out;
    },
    stats: () => ({ ...stats, batchSize }),
  };
}
