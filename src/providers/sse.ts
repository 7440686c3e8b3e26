import { EventSourceParserStream } from "eventsource-parser/stream";
import { ProviderError } from "./provider-error.js";
import type { Redactor } from "./redact.js";

/**
 * Reads an OpenAI-style SSE response as parsed JSON events: bytes → text → SSE events
 * → JSON. Stops at `[DONE]`; an `{"error":…}` event inside the 200 stream (NIM does
 * this) becomes a ProviderError; a stream silent for `idleTimeoutMs` is a timeout.
 * A reply that is not `text/event-stream`, or that ends without `[DONE]` (and without
 * the caller having seen its own end marker, `completed`), is a `stream` error: a cut
 * answer must never pass for a complete one. Provider text in errors goes through `redact`.
 */
export interface ReadEventsOptions {
  idleTimeoutMs?: number | undefined;
  redact?: Redactor;
  /** True once the caller has seen a final event (e.g. a chat `finish_reason`): then an end without `[DONE]` is fine. */
  completed?: () => boolean;
}

const SSE_TYPE = /^\s*text\/event-stream\b/i;

/** The start of a body for an error message, without waiting for (or buffering) the rest. */
async function firstText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  try {
    const first = await reader.read();
    return first.value ? new TextDecoder().decode(first.value.slice(0, 400)) : "";
  } catch {
    return "";
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export async function* readJsonEvents(response: Response, provider: string, options: ReadEventsOptions = {}): AsyncGenerator<unknown> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const redact = options.redact ?? ((text: string) => text);
  const type = response.headers.get("content-type") ?? "";
  if (!SSE_TYPE.test(type)) {
    const text = await firstText(response);
    throw new ProviderError({
      provider,
      kind: "stream",
      message: redact(`${provider} answered a streamed request with ${type ? `\`${type.slice(0, 100)}\`` : "no content type"}, not an event stream: ${text.slice(0, 200)}`),
    });
  }
  if (!response.body) throw new ProviderError({ provider, kind: "stream", message: `${provider} sent a stream with no body.` });
  const reader = response.body
    .pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProviderError({ provider, kind: "timeout", message: `${provider} stopped sending for ${Math.round(idleTimeoutMs / 1000)} s in the middle of a stream.` })), idleTimeoutMs);
      });
      const next = await Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
      if (next.done) {
        if (options.completed?.()) return;
        throw new ProviderError({ provider, kind: "stream", message: `${provider} ended the stream before the answer was complete (no [DONE] and no finish reason).` });
      }
      const data = next.value.data.trim();
      if (data === "[DONE]") return;
      if (data === "") continue;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ProviderError({ provider, kind: "invalid_response", message: redact(`${provider} sent a stream event that is not JSON: ${data.slice(0, 200)}`) });
      }
      const error = (json as { error?: unknown } | null)?.error;
      if (error) {
        // Decoded by JSON.parse above, so an escaped echo of a key is plain text here and can be redacted.
        const message = redact(typeof error === "string" ? error : String((error as { message?: unknown }).message ?? JSON.stringify(error)));
        throw new ProviderError({ provider, kind: "stream", detail: message, message: `${provider} reported an error in the middle of the answer: ${message}` });
      }
      yield json;
    }
  } finally {
    // Stops the upstream body when the consumer quits early (client gone, error).
    await reader.cancel().catch(() => {});
  }
}
