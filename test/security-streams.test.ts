import { describe, expect, it } from "vitest";
import { type ChatEvent, createChatModel } from "../src/providers/chat.js";
import { createPacer } from "../src/providers/pacing.js";
import { ProviderError } from "../src/providers/provider-error.js";
import { createTransport } from "../src/providers/transport.js";

/**
 * A streamed answer is complete only when the provider says so (`[DONE]` or a finish
 * reason). A reply that is not an event stream, or one cut off before its end, is a
 * `provider_stream` error, never an empty or partial answer passed off as whole. The
 * provider here is a scripted `fetch` returning exactly the bytes under test.
 */
function chatAnswering(reply: () => Response) {
  const transport = createTransport({
    provider: "NVIDIA NIM",
    keyVariable: "NVIDIA_API_KEY",
    baseURL: "http://127.0.0.1:9/v1",
    apiKey: "nvapi-stream-test-key-123456",
    fetch: async () => reply(),
    retry: { maxRetries: 0 },
    pacer: createPacer({ name: "test", rpm: 100_000, concurrency: 4 }),
  });
  return createChatModel({ transport, id: "nim:m", model: "m" });
}

const sse = (lines: string[]) => new Response(lines.map((l) => `data: ${l}\n\n`).join(""), { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" } });
const chunk = (content: string, finish: string | null = null) => JSON.stringify({ choices: [{ delta: { content }, finish_reason: finish }] });

async function collect(events: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error?: ProviderError }> {
  const seen: ChatEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { events: seen };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { events: seen, error };
  }
}

const ask = { messages: [{ role: "user" as const, content: "hi" }] };

describe("stream completion", () => {
  it("a 200 text/plain reply to a streamed request is a provider_stream error, not an empty answer", async () => {
    const { events, error } = await collect(chatAnswering(() => new Response("Service temporarily unavailable", { status: 200, headers: { "content-type": "text/plain" } })).stream(ask));
    expect(events).toEqual([]);
    expect(error?.code).toBe("provider_stream");
    expect(error?.message).toMatch(/text\/plain.*not an event stream: Service temporarily unavailable/);
  });

  it("a JSON body instead of a stream is a provider_stream error", async () => {
    const { error } = await collect(chatAnswering(() => Response.json({ choices: [{ message: { content: "whole" } }] })).stream(ask));
    expect(error?.code).toBe("provider_stream");
  });

  it("a stream cut before [DONE] and without a finish reason is a provider_stream error after the text it did send", async () => {
    const { events, error } = await collect(chatAnswering(() => sse([chunk("Half an "), chunk("answer")])).stream(ask));
    expect(
      events
        .filter((e) => e.type === "delta")
        .map((e) => (e as { text: string }).text)
        .join(""),
    ).toBe("Half an answer");
    expect(error?.code).toBe("provider_stream");
    expect(error?.message).toMatch(/ended the stream before the answer was complete/);
  });

  it("an empty event stream is an error too", async () => {
    const { error } = await collect(chatAnswering(() => sse([])).stream(ask));
    expect(error?.code).toBe("provider_stream");
  });

  it("a finish reason without [DONE] completes the answer (some servers omit [DONE])", async () => {
    const { events, error } = await collect(chatAnswering(() => sse([chunk("Whole "), chunk("answer.", "stop")])).stream(ask));
    expect(error).toBeUndefined();
    expect(events).toContainEqual({ type: "finish", reason: "stop" });
  });

  it("[DONE] completes the answer", async () => {
    const { error, events } = await collect(chatAnswering(() => sse([chunk("Whole answer."), "[DONE]"])).stream(ask));
    expect(error).toBeUndefined();
    expect(events).toContainEqual({ type: "delta", text: "Whole answer." });
  });
});
