import { AppError } from "../errors.js";

/**
 * One error type for every provider failure (NIM, Qiniu, self-hosted). `kind` says
 * what went wrong and decides retrying; the message is meant for the user and never
 * contains an API key.
 */
export type ProviderErrorKind =
  | "auth" // 401/403: never retried (Qiniu blocks IPs that retry a wrong key)
  | "quota" // 402: balance or resource pack used up
  | "unknown_model" // NIM 404 "Function … Not found for account", Qiniu 503 "price of the model is not set"
  | "rate_limit" // 429: retried, honouring Retry-After
  | "busy" // askdocs' own queue for the provider is longer than the caller will wait: 429, not retried
  | "server" // 408/409/5xx: transient, retried
  | "timeout" // no answer in time: retried
  | "network" // reset or refused connection: retried
  | "batch_too_large" // 413, or 400 saying so: the embedder halves the batch
  | "bad_request" // other 4xx: the provider's own detail
  | "stream" // an error object inside a 200 stream
  | "invalid_response"; // a body that does not match the documented shape

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(["rate_limit", "server", "timeout", "network"]);

export interface ProviderErrorInit {
  provider: string;
  kind: ProviderErrorKind;
  message: string;
  statusCode?: number;
  retryAfterMs?: number;
  detail?: string;
  cause?: unknown;
}

export class ProviderError extends AppError {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;
  readonly detail?: string;

  constructor(init: ProviderErrorInit) {
    // A provider's rate limit that outlasted our retries is the caller's 429; the rest is a bad gateway.
    super(init.kind === "rate_limit" || init.kind === "busy" ? 429 : 502, `provider_${init.kind}`, init.message, { cause: init.cause });
    this.provider = init.provider;
    this.kind = init.kind;
    this.retryable = RETRYABLE.has(init.kind);
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.detail !== undefined) this.detail = init.detail;
  }
}

/** Pulls a human-readable detail out of NIM, Qiniu or OpenAI-shaped error bodies. */
export function errorDetail(body: unknown, rawText: string): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const err = b.error;
    if (err && typeof err === "object") {
      const message = (err as Record<string, unknown>).message;
      if (typeof message === "string") return message;
    }
    if (typeof err === "string") return err;
    for (const key of ["detail", "message", "title"] as const) {
      const value = b[key];
      if (typeof value === "string") return value;
      // FastAPI-style validation errors: [{loc, msg, type}]
      if (Array.isArray(value)) return value.map((v) => JSON.stringify(v)).join("; ");
    }
  }
  return rawText.trim().slice(0, 500);
}

/** Parses Retry-After in its forms (retry-after-ms, seconds, HTTP date); undefined when absent or invalid. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface HttpFailure {
  provider: string;
  status: number;
  body: unknown;
  rawText: string;
  headers: Headers;
  /** Variable that holds the key, named in auth errors. */
  keyVariable: string;
  model?: string;
}

/** Classifies a non-2xx provider response into a ProviderError with an actionable message. */
export function classifyHttpFailure(f: HttpFailure): ProviderError {
  const detail = errorDetail(f.body, f.rawText);
  const base = { provider: f.provider, statusCode: f.status, detail };
  const said = detail ? `: ${detail}` : "";
  const model = f.model ? ` "${f.model}"` : "";

  if (/ip in black ?list/i.test(detail)) {
    return new ProviderError({
      ...base,
      kind: "auth",
      message: `${f.provider} has blocked this machine's IP address (HTTP ${f.status}${said}), usually after repeated calls with a wrong key. Fix ${f.keyVariable} and contact the provider.`,
    });
  }
  if (f.status === 401 || f.status === 403) {
    return new ProviderError({ ...base, kind: "auth", message: `${f.provider} rejected the credentials (HTTP ${f.status}${said}). Check ${f.keyVariable}; askdocs does not retry authentication failures.` });
  }
  if (f.status === 402) {
    return new ProviderError({ ...base, kind: "quota", message: `${f.provider} says the account's balance or quota is used up (HTTP 402${said}). Top it up or choose another provider.` });
  }
  if ((f.status === 404 && /not found for account|function|model/i.test(detail)) || (f.status === 503 && /price of the model is not set/i.test(detail))) {
    return new ProviderError({
      ...base,
      kind: "unknown_model",
      message: `${f.provider} cannot serve model${model} for this account (HTTP ${f.status}${said}). The model id is wrong or not enabled: pick one from the provider's model list.`,
    });
  }
  if (f.status === 404) {
    return new ProviderError({ ...base, kind: "bad_request", message: `${f.provider} has no such endpoint (HTTP 404${said}). Check the base URL: it should end in /v1.` });
  }
  if (f.status === 429) {
    const retryAfterMs = parseRetryAfter(f.headers);
    return new ProviderError({
      ...base,
      kind: "rate_limit",
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      message: `${f.provider} rate limit reached (HTTP 429${said}). Lower the requests per minute for this provider or try again later.`,
    });
  }
  if (f.status === 413 || (f.status === 400 && /batch|too many inputs|exceeds the maximum of \d+ inputs/i.test(detail))) {
    return new ProviderError({ ...base, kind: "batch_too_large", message: `${f.provider} rejected the batch as too large (HTTP ${f.status}${said}).` });
  }
  if (f.status === 408 || f.status === 409 || f.status >= 500) {
    const retryAfterMs = parseRetryAfter(f.headers);
    return new ProviderError({ ...base, kind: "server", ...(retryAfterMs === undefined ? {} : { retryAfterMs }), message: `${f.provider} failed (HTTP ${f.status}${said}).` });
  }
  return new ProviderError({ ...base, kind: "bad_request", message: `${f.provider} rejected the request (HTTP ${f.status}${said}).` });
}

/** The same error with secrets removed from its message and detail (every provider error passes through this). */
export function redactProviderError(error: ProviderError, redact: (text: string) => string): ProviderError {
  const message = redact(error.message);
  const detail = error.detail === undefined ? undefined : redact(error.detail);
  if (message === error.message && detail === error.detail) return error;
  return new ProviderError({
    provider: error.provider,
    kind: error.kind,
    message,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(detail === undefined ? {} : { detail }),
    cause: error.cause,
  });
}
