import { z } from "zod";
import { ConfigError } from "./errors.js";
import { EMBED_MODEL_IDS } from "./providers/embed-models.js";

/**
 * Configuration comes from environment variables (process.env on Node, bindings on
 * Workers), validated once at start-up. Every message names the variable and the fix.
 */

const CHAT_PROVIDERS = ["nim", "qiniu", "openai"] as const;

/** Empty strings in an env file mean "unset". */
const optionalString = z.preprocess((v) => (v === "" ? undefined : v), z.string().optional());

function baseUrl(example: string) {
  return z.string().transform((raw, ctx) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: `Expected an http(s) URL such as \`${example}\`, got \`${raw}\`` });
      return z.NEVER;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `Expected an http(s) URL such as \`${example}\`, got \`${raw}\`` });
      return z.NEVER;
    }
    const path = url.pathname.replace(/\/+$/, "");
    const endpoint = /\/(chat\/completions|embeddings|completions|models|ranking)$/.exec(path);
    if (endpoint) {
      ctx.addIssue({
        code: "custom",
        message: `Expected the API base URL (ending in /v1), got the full endpoint \`${raw}\`: drop \`/${endpoint[1]}\`, askdocs adds it (e.g. \`${example}\`)`,
      });
      return z.NEVER;
    }
    if (path === "") {
      ctx.addIssue({
        code: "custom",
        message: `Expected the API base URL with its version path, got the bare host \`${raw}\`: add \`/v1\` (e.g. \`${example}\`)`,
      });
      return z.NEVER;
    }
    url.pathname = path;
    url.search = "";
    url.hash = "";
    return url.toString().replace(/\/+$/, "");
  });
}

function int(min: number, max: number, fallback: number) {
  return z.preprocess(
    (v) => (v === undefined || v === "" ? fallback : typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: `Expected a whole number from ${min} to ${max}` }).int(`Expected a whole number from ${min} to ${max}`).min(min, `Expected a whole number from ${min} to ${max}`).max(max, `Expected a whole number from ${min} to ${max}`),
  );
}

export const chatModelSpecSchema = z.string().transform((raw, ctx) => {
  const match = /^([a-z]+):(.+)$/.exec(raw.trim());
  if (!match || !(CHAT_PROVIDERS as readonly string[]).includes(match[1]!)) {
    ctx.addIssue({
      code: "custom",
      message: `Expected \`provider:model-id\` with provider one of ${CHAT_PROVIDERS.join(", ")} (e.g. \`nim:meta/llama-3.3-70b-instruct\`, \`qiniu:deepseek-v3\`), got \`${raw}\``,
    });
    return z.NEVER;
  }
  return { provider: match[1] as (typeof CHAT_PROVIDERS)[number], model: match[2]!, spec: raw.trim() };
});
export type ChatModelSpec = z.output<typeof chatModelSpecSchema>;

export const envSchema = z.object({
  NVIDIA_API_KEY: optionalString,
  NIM_BASE_URL: baseUrl("https://integrate.api.nvidia.com/v1").default("https://integrate.api.nvidia.com/v1"),
  /** Where NIM's HTTP 202 results are polled (hosted NVCF). */
  NVCF_STATUS_URL: z.string().url().default("https://api.nvcf.nvidia.com/v2/nvcf/pexec/status"),
  QINIU_API_KEY: optionalString,
  QINIU_BASE_URL: baseUrl("https://api.qnaigc.com/v1").default("https://api.qnaigc.com/v1"),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.preprocess((v) => (v === "" ? undefined : v), baseUrl("http://127.0.0.1:8000/v1").optional()),

  EMBED_MODEL: z
    .enum(EMBED_MODEL_IDS, { error: `Expected one of ${EMBED_MODEL_IDS.join(", ")}` })
    .default("nvidia/nv-embedqa-e5-v5"),
  EMBED_BASE_URL: z.preprocess((v) => (v === "" ? undefined : v), baseUrl("http://127.0.0.1:8000/v1").optional()),
  EMBED_API_KEY: optionalString,
  EMBED_INPUT_TYPE_MODE: z
    .enum(["field", "prefix", "none"], { error: "Expected `field` (NIM), `prefix` (vLLM, Ollama, TEI) or `none`" })
    .default("field"),
  EMBED_BATCH_SIZE: int(1, 1024, 32),

  /** Optional reranker, e.g. `nvidia/llama-3.2-nv-rerankqa-1b-v2`; off when unset. */
  RERANK_MODEL: optionalString,
  /** A self-hosted reranking container (`POST {base}/ranking`); unset = hosted NIM. */
  RERANK_BASE_URL: z.preprocess((v) => (v === "" ? undefined : v), baseUrl("http://127.0.0.1:8000/v1").optional()),
  RERANK_API_KEY: optionalString,
  /** Hosted NIM retrieval endpoints (reranking lives here, not under NIM_BASE_URL). */
  NIM_RETRIEVAL_URL: z.string().url().default("https://ai.api.nvidia.com/v1/retrieval"),
  /**
   * OCR for PDF pages without a text layer; off when unset. `nvidia/nemoretriever-ocr-v1` is called
   * through NIM's OCR API, any other model as an OpenAI-compatible vision chat model.
   */
  OCR_MODEL: optionalString,
  /** Unset: hosted NIM (`https://ai.api.nvidia.com/v1` for NeMo Retriever OCR, else NIM_BASE_URL). */
  OCR_BASE_URL: z.preprocess((v) => (v === "" ? undefined : v), baseUrl("https://ai.api.nvidia.com/v1").optional()),
  /** Default: NVIDIA_API_KEY. */
  OCR_API_KEY: optionalString,
  CHAT_MODEL: z.preprocess((v) => (v === "" || v === undefined ? "nim:meta/llama-3.3-70b-instruct" : v), chatModelSpecSchema),

  LANCEDB_URI: z.string().min(1).default("data/lancedb"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(0, 65535, 8787),
  RAG_API_KEY: optionalString,
  /** Comma-separated allowed origins for browser clients; unset = CORS off. `*` allows any. */
  CORS_ORIGINS: z.preprocess((v) => (v === "" ? undefined : v), z.string().optional()).transform((v) => (v ? v.split(",").map((o) => o.trim()).filter(Boolean) : [])),
  /**
   * More host names the server answers to, against DNS rebinding (comma-separated, port optional);
   * the listen address (HOST) and localhost names are always accepted; `*` = any (behind a proxy that checks Host).
   */
  ALLOWED_HOSTS: z
    .preprocess((v) => (v === "" ? undefined : v), z.string().optional())
    .transform((raw, ctx): string[] | "*" | undefined => {
      if (raw === undefined) return undefined;
      const list = raw.split(",").map((h) => h.trim()).filter(Boolean);
      if (list.includes("*")) return "*";
      const hosts = list.map((h) => h.replace(/^([^\s/:[\]]+|\[[0-9a-f:.]+\]):\d+$/i, "$1"));
      const bad = hosts.find((h) => !/^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[?[0-9a-f:.]+\]?)$/i.test(h));
      if (bad !== undefined || hosts.length === 0) {
        ctx.addIssue({ code: "custom", message: `Expected host names separated by commas, without scheme or path (e.g. \`askdocs.lan,10.0.0.5\`), or \`*\` for any host; \`${bad ?? raw}\` is not one` });
        return z.NEVER;
      }
      return hosts;
    }),
  MAX_UPLOAD_MB: int(1, 2048, 50),
  /** Folder ingested into the `default` collection on the first start, so a fresh clone answers at once; empty = off. */
  SAMPLE_DOCS: z.string().default("data/samples"),
  /** HTTP requests fail fast with 429 rather than wait longer than this in a provider's queue. */
  REQUEST_QUEUE_WAIT_MS: int(0, 600_000, 30_000),
  /** Hybrid search fusion: `relative` (normalised scores summed) or `rrf` (reciprocal rank). */
  HYBRID_FUSION: z.enum(["relative", "rrf"], { error: "Expected `relative` or `rrf`" }).default("relative"),
  /** Tokens the retrieved sources may take in a chat prompt (fits an 8k-context model with room to answer). */
  CONTEXT_TOKENS: int(500, 1_000_000, 4000),

  NIM_RPM: int(1, 100_000, 40),
  NIM_CONCURRENCY: int(1, 256, 4),
  QINIU_RPM: int(1, 100_000, 60),
  QINIU_CONCURRENCY: int(1, 256, 4),
  /** Self-hosted servers have no published limit: generous defaults. */
  OPENAI_RPM: int(1, 1_000_000, 6000),
  OPENAI_CONCURRENCY: int(1, 256, 8),
  EMBED_RPM: int(1, 1_000_000, 6000),
  EMBED_CONCURRENCY: int(1, 256, 8),

  PROVIDER_TIMEOUT_MS: int(100, 600_000, 60_000),
  PROVIDER_MAX_RETRIES: int(0, 20, 5),
});

export type Config = z.output<typeof envSchema>;

/** For commands: the configuration, or undefined after `report`ing what is wrong (the caller exits 2). */
export function configOrReport(env: Record<string, string | undefined>, report: (message: string) => void): Config | undefined {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report(error.message);
    return undefined;
  }
}

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    const raw = env[name];
    // Never echo secrets back: key variables are reported by name only.
    const shown = /KEY/.test(name) || raw === undefined ? "" : ` (got \`${raw}\`)`;
    return raw !== undefined && issue.message.includes(raw) ? `${name}: ${issue.message}` : `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}
