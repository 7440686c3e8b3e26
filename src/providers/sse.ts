import { EventSourceParserStream } from "eventsource-parser/stream";
import { ProviderError } from "./provider-error.js";

/**
 * Reads an OpenAI-style SSE response as parsed JSON events: bytes → text → SSE events
 * → JSON. Stops at `[DONE]`; an `{"error":…}` event inside the 200 stream (NIM does
 * this) becomes a ProviderError; a stream silent for `idleTimeoutMs` is a timeout.
 */
export async function* readJsonEvents(response: Response, provider: string, idleTimeoutMs = 60_000): AsyncGenerator<unknown> {
  if (!response.body) throw new ProviderError({ provider, kind: "invalid_response", message: `${provider} sent a stream with no body.` });
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
      if (next.done) return;
      const data = next.value.data.trim();
      if (data === "[DONE]") return;
      if (data === "") continue;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ProviderError({ provider, kind: "invalid_response", message: `${provider} sent a stream event that is not JSON: ${data.slice(0, 200)}` });
      }
      const error = (json as { error?: unknown } | null)?.error;
      if (error) {
        const message = typeof error === "string" ? error : String((error as { message?: unknown }).message ?? JSON.stringify(error));
        throw new ProviderError({ provider, kind: "stream", detail: message, message: `${provider} reported an error in the middle of the answer: ${message}` });
      }
      yield json;
    }
  } finally {
    // Stops the upstream body when the consumer quits early (client gone, error).
    await reader.cancel().catch(() => {});
  }
}
