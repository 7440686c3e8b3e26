/**
 * Configuration comes from environment variables (process.env on Node, bindings on
 * Workers), validated once at start-up. Every message names the variable and the fix.
 */
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { EMBED_MODEL_IDS } from "./providers/embed-models.js";
import { isAwsEndpoint, parseStorageLocation } from "./store/storage-location.js";

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
    z
      .number({ error: `Expected a whole number from ${min} to ${max}` })
      .int(`Expected a whole number from ${min} to ${max}`)
      .min(min, `Expected a whole number from ${min} to ${max}`)
      .max(max, `Expected a whole number from ${min} to ${max}`),
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

  EMBED_MODEL: z.enum(EMBED_MODEL_IDS, { error: `Expected one of ${EMBED_MODEL_IDS.join(", ")}` }).default("nvidia/nv-embedqa-e5-v5"),
  EMBED_BASE_URL: z.preprocess((v) => (v === "" ? undefined : v), baseUrl("http://127.0.0.1:8000/v1").optional()),
  EMBED_API_KEY: optionalString,
  EMBED_INPUT_TYPE_MODE: z.enum(["field", "prefix", "none"], { error: "Expected `field` (NIM), `prefix` (vLLM, Ollama, TEI) or `none`" }).default("field"),
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

  /** A folder (default), `s3://bucket/prefix` or `s3+ddb://bucket/prefix?ddbTableName=…` (see storage-location.ts). */
  LANCEDB_URI: z
    .string()
    .min(1)
    .default("data/lancedb")
    .superRefine((raw, ctx) => {
      try {
        parseStorageLocation(raw);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
  /** Object storage credentials and endpoints, the standard AWS names; all secret, never echoed. */
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  AWS_SESSION_TOKEN: optionalString,
  AWS_REGION: optionalString,
  /** An S3-compatible store (MinIO, R2, Ceph…); unset = AWS S3. */
  AWS_ENDPOINT_URL: z.preprocess((v) => (v === "" ? undefined : v), z.url({ protocol: /^https?$/, error: "Expected an http(s) URL such as `https://minio.internal:9000`" }).optional()),
  /** The DynamoDB endpoint for `s3+ddb://` commits; unset = AWS DynamoDB. */
  AWS_ENDPOINT_URL_DYNAMODB: z.preprocess((v) => (v === "" ? undefined : v), z.url({ protocol: /^https?$/, error: "Expected an http(s) URL such as `http://dynamodb.internal:8000`" }).optional()),
  /** `on`: the S3-compatible store at AWS_ENDPOINT_URL honours conditional PUT (If-None-Match), so plain `s3://` is safe with several writers. */
  S3_CONDITIONAL_PUT: z.preprocess((v) => (v === "" ? undefined : v), z.enum(["on", "off"], { error: "Expected `on` (the store honours If-None-Match) or `off`" }).optional()),
  /** `off` on API replicas: only one process compacts, builds indexes and removes old versions. */
  UPKEEP: z.enum(["on", "off"], { error: "Expected `on` (this process runs index upkeep) or `off` (a replica)" }).default("on"),
  /** How stale a read may be, in ms, before LanceDB checks for other processes' commits; unset = 0 on a folder, 5000 on object storage. */
  READ_CONSISTENCY_MS: z.preprocess((v) => (v === "" ? undefined : v), int(0, 3_600_000, 0).optional()),
  /** Lease lifetime for writers on object storage: a killed writer's lease is taken over this long after its last renewal. */
  LEASE_TTL_MS: int(2_000, 600_000, 30_000),
  /** `json`: one JSON object per log line (for log shippers); `text` (default): readable lines. */
  LOG_FORMAT: z.enum(["text", "json"], { error: "Expected `text` or `json`" }).default("text"),
  /** On SIGTERM, in-flight requests and streams get this long to finish before their connections are closed. */
  SHUTDOWN_GRACE_MS: int(0, 600_000, 10_000),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(0, 65535, 8787),
  RAG_API_KEY: optionalString,
  /** Comma-separated allowed origins for browser clients; unset = CORS off. `*` allows any. */
  CORS_ORIGINS: z
    .preprocess((v) => (v === "" ? undefined : v), z.string().optional())
    .transform((v) =>
      v
        ? v
            .split(",")
            .map((o) => o.trim())
            .filter(Boolean)
        : [],
    ),
  /**
   * More host names the server answers to, against DNS rebinding (comma-separated, port optional);
   * the listen address (HOST) and localhost names are always accepted; `*` = any (behind a proxy that checks Host).
   */
  ALLOWED_HOSTS: z
    .preprocess((v) => (v === "" ? undefined : v), z.string().optional())
    .transform((raw, ctx): string[] | "*" | undefined => {
      if (raw === undefined) return undefined;
      const list = raw
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean);
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

/** Variables whose values are never echoed: keys, tokens and every AWS setting. */
const SECRET_NAME = /KEY|TOKEN|SECRET|^AWS_/;

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (result.success) {
    const problems = storageProblems(result.data);
    if (problems.length > 0) throw new ConfigError(problems);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    const raw = env[name];
    // Never echo secrets back: they are reported by name only.
    if (SECRET_NAME.test(name)) return `${name}: ${raw === undefined ? issue.message : issue.message.split(raw).join("[redacted]")}`;
    const shown = raw === undefined ? "" : ` (got \`${raw}\`)`;
    return raw !== undefined && issue.message.includes(raw) ? `${name}: ${issue.message}` : `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}

/**
 * Plain `s3://` commits rely on the store refusing a second PUT of the same manifest
 * (If-None-Match). AWS S3 honours it; a store that ignores it loses concurrent commits
 * without an error, so askdocs refuses it unless the operator says it is honoured.
 */
function storageProblems(config: Config): string[] {
  const location = parseStorageLocation(config.LANCEDB_URI);
  if (location.kind === "local") return [];
  if (!config.AWS_ACCESS_KEY_ID || !config.AWS_SECRET_ACCESS_KEY) {
    // The cross-host leases sign their own requests; they do not read instance roles or profiles.
    return ["LANCEDB_URI: object storage needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)"];
  }
  if (location.kind !== "s3") return [];
  if (config.S3_CONDITIONAL_PUT === "off") {
    return [
      "LANCEDB_URI: S3_CONDITIONAL_PUT=off says the store ignores conditional PUT, where several writers on `s3://` lose commits silently: use `s3+ddb://bucket/prefix?ddbTableName=table` (DynamoDB commits) instead",
    ];
  }
  if (config.S3_CONDITIONAL_PUT === "on" || isAwsEndpoint(config.AWS_ENDPOINT_URL)) return [];
  return [
    "LANCEDB_URI: `s3://` on an S3-compatible store (AWS_ENDPOINT_URL is not AWS) is safe only if that store honours conditional PUT (`If-None-Match: *`); without it concurrent writers lose commits silently. " +
      "Set S3_CONDITIONAL_PUT=on if it does (recent MinIO, Cloudflare R2, Ceph RGW 19+), or use `s3+ddb://bucket/prefix?ddbTableName=table` with a DynamoDB-compatible commit table",
  ];
}
