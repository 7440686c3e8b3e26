import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, type Citation, type CompatServer, expectUpstreamCancelled, splitSources, startCompatServer } from "./helpers/compat-server.js";

/**
 * The Anthropic-compatible door through the real `@anthropic-ai/sdk`, against the real app
 * on loopback over a real LanceDB (the fake NIM answers). Same contract as the OpenAI door:
 * `/v1/ask`'s answer plus a sources list, its citations as `references`.
 */
let server: CompatServer;
let client: Anthropic;
const QUESTION = "Why are there two high tides a day?";
type WithReferences = { references: Citation[] };

beforeAll(async () => {
  server = await startCompatServer();
  client = new Anthropic({ baseURL: `${server.url}/anthropic`, apiKey: API_KEY, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

function expectSourcesFor(text: string, citations: Citation[]) {
  const { listed } = splitSources(text);
  expect(listed.length).toBeGreaterThan(0);
  expect(listed).toEqual(citations.filter((c) => c.cited).map((c) => c.n));
}

describe("the Anthropic-compatible API", () => {
  it("answers a message like /v1/ask (x-api-key auth), with the sources list and the citations as references", async () => {
    const ask = await server.ask({ question: QUESTION, collection: "default" });
    const message = await client.messages.create({ model: "default", max_tokens: 512, messages: [{ role: "user", content: QUESTION }] });
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "default", stop_reason: "end_turn", stop_sequence: null });
    expect(message.content.map((b) => b.type)).toEqual(["text"]);
    const text = (message.content[0] as Anthropic.TextBlock).text;
    expect(splitSources(text).answer).toBe(ask.answer);
    expectSourcesFor(text, ask.citations);
    expect((message as unknown as WithReferences).references).toEqual(ask.citations);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // max_tokens reached the chat model.
    expect(server.fake.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1)!.body).toMatchObject({ max_tokens: 512 });
  });

  it("streams the Messages events in order: thinking then text blocks, message_delta with stop_reason, usage and references, message_stop", async () => {
    const ask = await server.ask({ question: QUESTION, collection: "default", model: "nim:deepseek-ai/deepseek-r1" });
    const stream = await client.messages.create({ model: "default@nim:deepseek-ai/deepseek-r1", max_tokens: 512, system: "Be brief.", messages: [{ role: "user", content: QUESTION }], stream: true });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const kinds = events.map((e) => (e.type === "content_block_delta" ? `${e.type}:${e.delta.type}` : e.type));
    // Collapse runs of deltas to read the order at a glance.
    const order = kinds.filter((k, i) => k !== kinds[i - 1]);
    expect(order).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta:thinking_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta:text_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const starts = events.filter((e): e is Anthropic.RawContentBlockStartEvent => e.type === "content_block_start");
    expect(starts.map((s) => [s.index, s.content_block.type])).toEqual([
      [0, "thinking"],
      [1, "text"],
    ]);
    const deltas = events.filter((e): e is Anthropic.RawContentBlockDeltaEvent => e.type === "content_block_delta");
    const thinking = deltas.map((d) => (d.delta.type === "thinking_delta" ? d.delta.thinking : "")).join("");
    const text = deltas.map((d) => (d.delta.type === "text_delta" ? d.delta.text : "")).join("");
    expect(thinking).toBe(ask.reasoning);
    expect(splitSources(text).answer).toBe(ask.answer);
    expectSourcesFor(text, ask.citations);
    const end = events.find((e): e is Anthropic.RawMessageDeltaEvent => e.type === "message_delta")!;
    expect(end.delta.stop_reason).toBe("end_turn");
    expect(end.usage.output_tokens).toBeGreaterThan(0);
    expect((end as unknown as WithReferences).references).toEqual(ask.citations);
  });

  it("builds the final message with the SDK's stream helper", async () => {
    const ask = await server.ask({ question: QUESTION, collection: "default" });
    const final = await client.messages.stream({ model: "default", max_tokens: 256, messages: [{ role: "user", content: [{ type: "text", text: QUESTION }] }] }).finalMessage();
    expect(final.content).toHaveLength(1);
    expect(splitSources((final.content[0] as Anthropic.TextBlock).text).answer).toBe(ask.answer);
    expect(final.stop_reason).toBe("end_turn");
  });

  it("takes a bearer token too, and answers errors in Anthropic's shape", async () => {
    const bearer = new Anthropic({ baseURL: `${server.url}/anthropic`, authToken: API_KEY, apiKey: null, maxRetries: 0 });
    const ok = await bearer.messages.create({ model: "shore", max_tokens: 128, messages: [{ role: "user", content: "What should you do after turning a stone over in a tide pool?" }] });
    expect((ok.content[0] as Anthropic.TextBlock).text).toMatch(/put it back/i);

    const stranger = new Anthropic({ baseURL: `${server.url}/anthropic`, apiKey: "wrong", maxRetries: 0 });
    const denied = await stranger.messages.create({ model: "default", max_tokens: 64, messages: [{ role: "user", content: QUESTION }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((denied as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: "error", error: { type: "authentication_error" } });

    const missing = await client.messages.create({ model: "nowhere", max_tokens: 64, messages: [{ role: "user", content: QUESTION }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: "error", error: { type: "not_found_error", message: expect.stringContaining("nowhere") } });

    // max_tokens is required by the Messages API: a 400 that names it.
    const noMax = await fetch(`${server.url}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": API_KEY, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "default", messages: [{ role: "user", content: QUESTION }] }),
    });
    expect(noMax.status).toBe(400);
    // The request id of the X-Request-Id header, as Anthropic's own error bodies carry theirs.
    expect(await noMax.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") }, request_id: noMax.headers.get("x-request-id") });
  });

  it("sends a model failure in the middle of the stream as an `error` event", async () => {
    server.fake.inject({ type: "stream-error", afterChunks: 1 }, { route: "chat", times: 1 });
    const stream = await client.messages.create({ model: "default", max_tokens: 256, messages: [{ role: "user", content: QUESTION }], stream: true });
    const seen: string[] = [];
    const failed = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.APIError);
    expect(seen).toContain("content_block_delta");
    expect(seen).not.toContain("message_stop");
    server.fake.clearFaults();
  });
  it("cancels the chat model's stream when the client goes away", async () => {
    await expectUpstreamCancelled(server, async (signal) => {
      const stream = await client.messages.create({ model: "default", max_tokens: 256, messages: [{ role: "user", content: QUESTION }], stream: true }, { signal });
      for await (const event of stream) if (event.type === "content_block_delta") break;
    });
  });
});
