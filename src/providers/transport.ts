import type { z } from "zod";
import { type Lane, type Pacer, QueueFullError } from "./pacing.js";
import { ProviderError, classifyHttpFailure, redactProviderError } from "./provider-error.js";
import { type Redactor, createRedactor } from "./redact.js";
import { type RetryPolicy, defaultRetryPolicy, retryDelayMs, sleep } from "./retry.js";

/**
 * The one place a provider call goes through: auth header, pacing, time limit,
 * retries with back-off, NIM's 202 polling, and error classification. Each provider
 * is a small factory over one Transport; the injected `fetch` is how tests reach the fake.
 */
export interface TransportOptions {
  /** Display name used in messages, e.g. "NVIDIA NIM". */
  provider: string;
  /** Environment variable that holds the key, named in auth errors (never its value). */
  keyVariable: string;
  /** API base URL ending in /v1, without trailing slash. */
  baseURL: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
  pacer: Pacer;
  /** Time limit per attempt, until the body is read (streams: until headers). Default 60000. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** NVCF status endpoint for HTTP 202 results (hosted NIM only). */
  statusURL?: string | undefined;
  /** Wait between 202 polls (default 1000). */
  pollIntervalMs?: number;
  /** Longest total wait for a 202 result (default 600000). */
  pollTimeoutMs?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Removes every configured secret from provider text (default: this transport's own key). */
  redact?: Redactor;
  /** After every attempt (and every refusal by the queue): its outcome and how long it waited for a slot, for metrics. */
  onAttempt?: (info: AttemptInfo) => void;
}

export interface AttemptInfo {
  provider: string;
  /** `ok`, or the error kind (`rate_limit`, `timeout`, `busy`…). */
  outcome: string;
  queueWaitMs: number;
}

export interface RetryInfo {
  provider: string;
  attempt: number;
  delayMs: number;
  kind: ProviderError["kind"];
  status?: number | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Model id, named in "unknown model" errors. */
  model?: string | undefined;
  /** Fail fast (kind `busy`, HTTP 429) instead of queueing longer than this for the provider's rate limit. */
  maxQueueWaitMs?: number | undefined;
  /** Pacing lane: `interactive` (default) goes ahead of `batch` (ingest). */
  lane?: Lane | undefined;
  /** See ScheduleOptions.followUps. */
  followUps?: number | undefined;
  /** See ScheduleOptions.followUp. */
  followUp?: boolean | undefined;
  /** The HTTP request this call serves: sent as `X-Request-Id`, so provider-side logs can be matched to ours. */
  requestId?: string | undefined;
}

export interface Transport {
  readonly provider: string;
  readonly baseURL: string;
  getJson<S extends z.ZodType>(path: string, schema: S, options?: CallOptions): Promise<z.output<S>>;
  postJson<S extends z.ZodType>(path: string, body: unknown, schema: S, options?: CallOptions): Promise<z.output<S>>;
  /** Opens a streamed response (retried only until the stream has started). */
  postStream(path: string, body: unknown, options?: CallOptions): Promise<Response>;
  /** Retries counted since creation, for reports. */
  readonly retries: number;
  /** Applied to every provider text that reaches a message; stream readers use it too. */
  readonly redact: Redactor;
}

class AttemptTimeout extends Error {}

export function createTransport(options: TransportOptions): Transport {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const pollTimeoutMs = options.pollTimeoutMs ?? 600_000;
  const { provider, pacer } = options;
  let retries = 0;

  const headers = (extra?: Record<string, string>): Record<string, string> => ({
    ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}),
    ...extra,
  });

  /** Keys must never reach a message, even if a server echoes them back (whole, in part, or escaped). */
  const redact = options.redact ?? createRedactor([options.apiKey]);

  const networkError = (error: unknown): ProviderError => {
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    return new ProviderError({ provider, kind: "network", cause: error, message: `Could not reach ${provider} at ${new URL(options.baseURL).origin} (${redact(reason)}).` });
  };

  async function fail(response: Response, model?: string): Promise<never> {
    // Decoded first, redacted after (in `attempt`): a `\u`-escaped echo only shows itself once parsed.
    const rawText = await response.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(rawText);
    } catch {
      body = undefined;
    }
    throw classifyHttpFailure({ provider, status: response.status, body, rawText, headers: response.headers, keyVariable: options.keyVariable, ...(model ? { model } : {}) });
  }

  /** A key is never sent on to wherever a redirect points: the base URL must be the final address. */
  function refuseRedirect(response: Response): Response {
    if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
    void response.body?.cancel();
    const location = response.headers.get("location") ?? "";
    const target = URL.canParse(location, options.baseURL) ? new URL(location, options.baseURL).origin : "an unknown address";
    throw new ProviderError({
      provider,
      kind: "bad_request",
      statusCode: response.status,
      message: `${provider} answered with a redirect (HTTP ${response.status}) to ${target}; askdocs does not follow redirects with the API key. Set the base URL to the final address.`,
    });
  }

  /** NIM may answer 202 + NVCF-REQID; the result is polled until it is no longer 202. */
  async function pollAccepted(first: Response, signal: AbortSignal): Promise<Response> {
    let response = first;
    const deadline = Date.now() + pollTimeoutMs;
    while (response.status === 202) {
      const requestId = response.headers.get("nvcf-reqid");
      await response.body?.cancel();
      if (!requestId || !options.statusURL) {
        throw new ProviderError({ provider, kind: "invalid_response", statusCode: 202, message: `${provider} answered HTTP 202 without a request id to poll.` });
      }
      if (Date.now() > deadline) {
        throw new ProviderError({ provider, kind: "timeout", message: `${provider} accepted the request but had no result after ${Math.round(pollTimeoutMs / 1000)} s of polling.` });
      }
      await sleep(pollIntervalMs, signal);
      response = refuseRedirect(await fetchImpl(`${options.statusURL}/${encodeURIComponent(requestId)}`, { headers: headers(), signal, redirect: "manual" }));
    }
    return response;
  }

  /** One attempt; `consume` reads the body inside the time limit (or returns the live stream). */
  async function attempt<T>(method: string, path: string, body: unknown, call: CallOptions, consume: (r: Response) => Promise<T>, stream: boolean): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AttemptTimeout()), timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, controller.signal]) : controller.signal;
    try {
      let response = refuseRedirect(
        await fetchImpl(`${options.baseURL}${path}`, {
          method,
          headers: headers({
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            Accept: stream ? "text/event-stream" : "application/json",
            ...(call.requestId ? { "X-Request-Id": call.requestId } : {}),
          }),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
          redirect: "manual",
        }),
      );
      if (response.status === 202) response = await pollAccepted(response, signal);
      if (!response.ok) await fail(response, call.model);
      return await consume(response);
    } catch (error) {
      if (error instanceof ProviderError) throw redactProviderError(error, redact);
      if (call.signal?.aborted) throw call.signal.reason;
      if (controller.signal.aborted) {
        throw new ProviderError({ provider, kind: "timeout", message: `${provider} did not answer within ${Math.round(timeoutMs / 100) / 10} s.` });
      }
      throw networkError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async function withRetries<T>(run: () => Promise<T>, call: CallOptions): Promise<T> {
    const { signal } = call;
    for (let n = 0; ; n++) {
      let delayMs = 0;
      // A retry is the same request: its follow-ups are announced (and used) once.
      const pacing = { signal, maxWaitMs: call.maxQueueWaitMs, lane: call.lane, ...(n === 0 ? { followUps: call.followUps, followUp: call.followUp } : {}) };
      const queuedAt = performance.now();
      try {
        return await pacer.schedule(async () => {
          const queueWaitMs = performance.now() - queuedAt;
          try {
            const result = await run();
            options.onAttempt?.({ provider, outcome: "ok", queueWaitMs });
            return result;
          } catch (error) {
            options.onAttempt?.({ provider, outcome: error instanceof ProviderError ? error.kind : "error", queueWaitMs });
            if (error instanceof ProviderError && error.retryable) delayMs = retryDelayMs(error, n, policy);
            // A 429 means the provider wants quiet: hold back everyone queued, not just this
            // call, and do it before this slot frees so the next queued request cannot slip out.
            if (error instanceof ProviderError && error.kind === "rate_limit" && n < policy.maxRetries) pacer.pauseFor(delayMs);
            throw error;
          }
        }, pacing);
      } catch (error) {
        if (error instanceof QueueFullError) {
          options.onAttempt?.({ provider, outcome: "busy", queueWaitMs: 0 });
          throw new ProviderError({
            provider,
            kind: "busy",
            retryAfterMs: error.estimateMs,
            message: `askdocs is at ${provider}'s request limit: ${error.message} Try again shortly, or raise the provider's RPM setting if your plan allows.`,
          });
        }
        if (!(error instanceof ProviderError) || !error.retryable) throw error;
        if (n >= policy.maxRetries) {
          throw new ProviderError({
            provider: error.provider,
            kind: error.kind,
            ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
            ...(error.detail === undefined ? {} : { detail: error.detail }),
            cause: error,
            message: n === 0 ? error.message : `${error.message} Gave up after ${n} retries.`,
          });
        }
        retries++;
        options.onRetry?.({ provider, attempt: n + 1, delayMs, kind: error.kind, status: error.statusCode });
        await sleep(delayMs, signal);
      }
    }
  }

  function parseWith<S extends z.ZodType>(schema: S) {
    return async (response: Response): Promise<z.output<S>> => {
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ProviderError({ provider, kind: "invalid_response", statusCode: response.status, message: `${provider} answered with a body that is not JSON: ${redact(text.slice(0, 200))}` });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProviderError({ provider, kind: "invalid_response", statusCode: response.status, message: `${provider} answered with an unexpected shape (${issue?.path.join(".") || "body"}: ${issue?.message}).` });
      }
      return parsed.data;
    };
  }

  return {
    provider,
    baseURL: options.baseURL,
    redact,
    get retries() {
      return retries;
    },
    getJson(path, schema, call = {}) {
      return withRetries(() => attempt("GET", path, undefined, call, parseWith(schema), false), call);
    },
    postJson(path, body, schema, call = {}) {
      return withRetries(() => attempt("POST", path, body, call, parseWith(schema), false), call);
    },
    postStream(path, body, call = {}) {
      return withRetries(() => attempt("POST", path, body, call, async (r) => r, true), call);
    },
  };
}
