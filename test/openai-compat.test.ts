import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app.js";
import { API_KEY, type Citation, type CompatServer, expectUpstreamCancelled, splitSources, startCompatServer } from "./helpers/compat-server.js";

/**
 * The OpenAI-compatible door through the real `openai` client (6.x), against the real app
 * on loopback over a real LanceDB, the fake NIM standing in for the chat model. The answer
 * must be `/v1/ask`'s, with the sources list appended, and `references` its citations.
 */
let server: CompatServer;
let client: OpenAI;
const QUESTION = "Why are there two high tides a day?";

beforeAll(async () => {
  server = await startCompatServer();
  client = new OpenAI({ baseURL: `${server.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

/** The sources list names exactly the cited passages, in order. */
function expectSourcesFor(text: string, citations: Citation[]) {
  const { listed } = splitSources(text);
  expect(listed).toEqual(citations.filter((c) => c.cited).map((c) => c.n));
  expect(listed.length).toBeGreaterThan(0);
}

describe("the OpenAI-compatible API", () => {
  it("lists every collection as a model", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => m.id).sort()).toEqual(["default", "shore"]);
    for (const model of models) expect(model).toMatchObject({ object: "model", owned_by: "askdocs", created: expect.any(Number) });
  });

  it("answers like /v1/ask, with the sources list in the text and the citations as references", async () => {
    const ask = await server.ask({ question: QUESTION, collection: "default" });
    const completion = await client.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("default");
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.role).toBe("assistant");
    const content = choice.message.content!;
    expect(splitSources(content).answer).toBe(ask.answer);
    expect(content).toMatch(/\[\d+\]/);
    expectSourcesFor(content, ask.citations);
    expect((choice.message as unknown as { references: Citation[] }).references).toEqual(ask.citations);
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it("streams role, content, then finish_reason with the references, a usage chunk when asked, and [DONE]", async () => {
    const ask = await server.ask({ question: QUESTION, collection: "default" });
    const stream = await client.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "default")).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const finishAt = chunks.findIndex((c) => c.choices[0]?.finish_reason);
    expect(chunks[finishAt]!.choices[0]!.finish_reason).toBe("stop");
    // After the finish chunk, only the usage chunk: no choices.
    expect(chunks.slice(finishAt + 1)).toHaveLength(1);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(splitSources(content).answer).toBe(ask.answer);
    expectSourcesFor(content, ask.citations);
    expect((chunks[finishAt]!.choices[0]!.delta as { references?: Citation[] }).references).toEqual(ask.citations);
    // Only the finish chunk carries references.
    expect(chunks.filter((c) => (c.choices[0]?.delta as { references?: unknown } | undefined)?.references)).toHaveLength(1);
  });

  it("streams without a usage chunk unless asked, and sends reasoning as reasoning_content", async () => {
    const model = "default@nim:deepseek-ai/deepseek-r1";
    const ask = await server.ask({ question: QUESTION, collection: "default", model: "nim:deepseek-ai/deepseek-r1" });
    expect(ask.reasoning).toBeTruthy();
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: QUESTION }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
    const field = (c: (typeof chunks)[number], name: string) => (c.choices[0]!.delta as Record<string, string | undefined>)[name] ?? "";
    expect(chunks.map((c) => field(c, "reasoning_content")).join("")).toBe(ask.reasoning);
    expect(splitSources(chunks.map((c) => field(c, "content")).join("")).answer).toBe(ask.answer);
    // The chat model named after `@` answered: the fake saw it.
    expect(server.fake.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1)!.body).toMatchObject({ model: "deepseek-ai/deepseek-r1", stream: true });

    const whole = await client.chat.completions.create({ model, messages: [{ role: "user", content: QUESTION }] });
    expect((whole.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content).toBe(ask.reasoning);
  });

  it("reads content parts, passes temperature, top_p and max_tokens to the chat model, and ignores penalties, user and unknown fields", async () => {
    server.fake.reset();
    const completion = await client.chat.completions.create({
      model: "shore",
      messages: [
        { role: "system", content: "You are a pirate." },
        {
          role: "user",
          content: [
            { type: "text", text: "What should you do after turning a stone over" },
            { type: "text", text: "in a tide pool?" },
          ],
        },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 300,
      frequency_penalty: 0.5,
      presence_penalty: 0.1,
      user: "someone",
      // @ts-expect-error: a field the API does not know is ignored, not rejected.
      unknown_field: { nested: true },
    });
    expect(completion.choices[0]!.message.content).toMatch(/put it back/i);
    const sent = server.fake.requests.find((r) => r.path.endsWith("/chat/completions"))!.body as { temperature: number; top_p: number; max_tokens: number; messages: { role: string; content: string }[] };
    expect({ temperature: sent.temperature, top_p: sent.top_p, max_tokens: sent.max_tokens }).toEqual({ temperature: 0.2, top_p: 0.9, max_tokens: 300 });
    // askdocs's grounding prompt is the only system prompt the model sees.
    expect(sent.messages.filter((m) => m.role === "system")).toHaveLength(1);
    expect(JSON.stringify(sent)).not.toContain("pirate");
  });

  it("rewrites a follow-up with the previous question for retrieval, and sends earlier turns without their sources list", async () => {
    const first = await client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "What are spring tides?" }] });
    const earlier = first.choices[0]!.message.content!;
    expect(splitSources(earlier).listed.length).toBeGreaterThan(0);
    const followUp = async (question: string) => {
      server.fake.reset();
      await client.chat.completions.create({
        model: "default",
        messages: [
          { role: "user", content: "What are spring tides?" },
          { role: "assistant", content: earlier },
          { role: "user", content: question },
        ],
      });
    };
    await followUp("and neap tides?");
    const queries = server.fake.requests.filter((r) => r.path.endsWith("/embeddings")).map((r) => r.body as { input: string[]; input_type: string });
    expect(queries.map((q) => q.input_type)).toEqual(["query"]);
    expect(queries[0]!.input).toEqual(["What are spring tides?\nand neap tides?"]);
    const sent = server.fake.requests.find((r) => r.path.endsWith("/chat/completions"))!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent.messages[2]!.content).toBe(splitSources(earlier).answer);
    expect(sent.messages[3]!.content).toMatch(/Question: and neap tides\?$/);

    // A question that stands alone is searched as it is.
    await followUp("Who wrote the classic book about tea during the Tang dynasty?");
    const standalone = server.fake.requests.filter((r) => r.path.endsWith("/embeddings")).map((r) => (r.body as { input: string[] }).input[0]);
    expect(standalone).toEqual(["Who wrote the classic book about tea during the Tang dynasty?"]);
  });

  it("answers errors in OpenAI's shape: unknown collection 404, bad model name or messages 400 naming the field, wrong key 401", async () => {
    const unknown = await client.chat.completions.create({ model: "nowhere", messages: [{ role: "user", content: QUESTION }] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({ type: "not_found_error", code: "not_found", message: expect.stringContaining("nowhere") });

    const badName = await client.chat.completions.create({ model: "bad name!", messages: [{ role: "user", content: QUESTION }] }).catch((e: unknown) => e);
    expect(badName).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badName as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: "invalid_request_error", param: "model", code: "invalid_request" });

    const noQuestion = await client.chat.completions.create({ model: "default", messages: [{ role: "assistant", content: "Hello" }] }).catch((e: unknown) => e);
    expect(noQuestion).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noQuestion as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: "messages" });

    // A chat model the provider does not serve is the request's fault: 400 naming `model`.
    const unknownChat = await client.chat.completions.create({ model: "default@nim:no/such-model", messages: [{ role: "user", content: QUESTION }] }).catch((e: unknown) => e);
    expect(unknownChat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknownChat as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: "invalid_request_error", param: "model", code: "provider_unknown_model" });

    const stranger = new OpenAI({ baseURL: `${server.url}/openai/v1`, apiKey: "wrong-key", maxRetries: 0 });
    const denied = await stranger.models.list().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((denied as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({ type: "authentication_error", code: "unauthorized" });
    expect(JSON.stringify((denied as InstanceType<typeof OpenAI.AuthenticationError>).error)).not.toContain(API_KEY);

    const route = await fetch(`${server.url}/openai/v1/embeddings`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: "{}" });
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ error: { type: "not_found_error", message: expect.any(String) } });
  });

  it("reports a chat model failure in the stream as an error the client raises", async () => {
    server.fake.inject({ type: "stream-error", afterChunks: 1 }, { route: "chat", times: 1 });
    const stream = await client.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }], stream: true });
    const received: string[] = [];
    const failed = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "server_error", code: "provider_stream" });
    // What came before the failure was delivered; no sources list was appended to a broken answer.
    expect(received.join("").length).toBeGreaterThan(0);
    expect(received.join("")).not.toContain("Sources:");
    server.fake.clearFaults();
  });

  it("lets a browser client on an allowed origin send the SDKs' own headers (CORS preflight)", async () => {
    const app = createApp({ ...server.rt, config: { ...server.rt.config, CORS_ORIGINS: ["http://localhost:3000"] } });
    const preflight = (origin: string) =>
      app.request("/openai/v1/chat/completions", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,x-stainless-os,x-stainless-retry-count" },
      });
    const allowed = await preflight("http://localhost:3000");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-headers")).toBe("authorization,content-type,x-stainless-os,x-stainless-retry-count");
    expect((await preflight("http://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });
  it("cancels the chat model's stream when the client goes away", async () => {
    await expectUpstreamCancelled(server, async (signal) => {
      const stream = await client.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }], stream: true }, { signal });
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    });
  });
});
