import type { ProviderError } from "./provider-error.js";

/** Retry policy in the manner of openai-node: honour Retry-After up to 60 s, else min(0.5·2ⁿ, 8) s with up to 25% jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  maxRetries: number;
  /** First back-off in ms (default 500). */
  baseDelayMs: number;
  /** Longest computed back-off in ms (default 8000). */
  maxDelayMs: number;
  /** Longest Retry-After honoured in ms (default 60000). */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

export function retryDelayMs(error: ProviderError, attempt: number, policy: RetryPolicy, random = Math.random): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, policy.maxRetryAfterMs);
  const backoff = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return backoff * (1 - 0.25 * random());
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
