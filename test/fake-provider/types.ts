/**
 * Public types of the fake provider. Other engineers code tests and benchmarks
 * against these names, so they change only by agreement.
 */

export type Flavor = "nim" | "qiniu" | "openai";

export interface FakeProviderOptions {
  /** Error-body style and model catalogue. Default `"nim"`. */
  flavor?: Flavor;
  /** Expected bearer key. Default `"test-key"`. Missing or wrong -> 401 in the flavor's shape. */
  apiKey?: string;
  /** Added before every response, in ms. Default 0. */
  latencyMs?: number;
  /**
   * More than this many requests in any sliding 60 s window -> 429 (per server).
   * Counted on embeddings, chat and ranking; 429s themselves do not count. Default: no limit.
   */
  rpmLimit?: number;
  /** Embeddings with more inputs -> 413 "batch too large". Default: no limit. */
  maxBatch?: number;
  /** Delay between SSE chunks, in ms. Default 0. */
  streamChunkDelayMs?: number;
}

export interface FakeProvider {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `origin + "/v2/nvcf/pexec/status"`, where NIM's 202 results are polled. */
  statusUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queue a fault for the next `times` (default 1) requests on `route` (default "any"). */
  inject(fault: Fault, options?: { route?: FaultRoute; times?: number }): void;
  clearFaults(): void;
  /** Clears requests, faults, pending 202 results and the rate-limit window. */
  reset(): void;
  /** Change options at run time; takes effect on the next request. */
  set(options: Partial<FakeProviderOptions>): void;
  close(): Promise<void>;
}

/** "any" matches the four API routes; status polls and unknown paths never take faults. */
export type FaultRoute = "embeddings" | "chat" | "models" | "ranking" | "ocr" | "any";

export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Lower-cased names; `authorization` is redacted to `Bearer <redacted>`. */
  headers: Record<string, string>;
  /** Date.now() on arrival. */
  at: number;
  /** Status sent; 0 while pending, or when no response was sent (drop, client gone). */
  status: number;
  /** Milliseconds from arrival until the response was sent in full: the fake's own time (unset until then). */
  ms?: number;
  /** True when the client closed the connection before the response was complete. */
  disconnected?: boolean;
}

export type Fault =
  | { type: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: "rate-limit"; retryAfterSeconds?: number }
  | { type: "server-error"; status?: 500 | 502 | 503 }
  | { type: "unknown-model" }
  | { type: "quota" }
  | { type: "accepted"; polls: number }
  | { type: "stream-error"; afterChunks: number }
  | { type: "drop" }
  | { type: "hang"; ms: number };

/** Options after defaults; what handlers read. */
export interface ResolvedOptions {
  flavor: Flavor;
  apiKey: string;
  latencyMs: number;
  rpmLimit: number | undefined;
  maxBatch: number | undefined;
  streamChunkDelayMs: number;
}

/**
 * What a handler decides to send; the server writes it. Keeping replies as data
 * lets faults rewrite them (202 deferral, stream errors) without touching handlers.
 */
export type Reply =
  | {
      kind: "http";
      status: number;
      /** undefined -> empty body; string -> sent as is; anything else -> JSON. */
      body?: unknown;
      headers?: Record<string, string>;
    }
  | {
      kind: "sse";
      /** JSON payloads, one `data:` line each. */
      events: unknown[];
      /** When set, sent as the last event instead of `[DONE]` (an error inside a 200 stream). */
      error?: unknown;
    };

export function httpReply(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return headers ? { kind: "http", status, body, headers } : { kind: "http", status, body };
}
