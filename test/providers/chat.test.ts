import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ChatEvent, createChatModel } from "../../src/providers/chat.js";
import { ProviderError } from "../../src/providers/provider-error.js";
import { createThinkSplitter, splitThink } from "../../src/providers/reasoning.js";
import { type FakeProvider, startFakeProvider } from "../fake-provider/index.js";
import { fakeTransport, sent } from "./helpers.js";

const messages = [
  { role: "system" as const, content: "Answer only from the sources. Cite them as [n]." },
  {
    role: "user" as const,
    content: "Sources:\n[1] The Rhine flows north into the North Sea. It is long.\n[2] Paris is the capital of France.\n\nQuestion: What is the capital of France?",
  },
];

async function collect(events: AsyncIterable<ChatEvent>) {
  let answer = "";
  let reasoning = "";
  let usage: unknown;
  for await (const e of events) {
    if (e.type === "delta") answer += e.text;
    else if (e.type === "reasoning") reasoning += e.text;
    else if (e.type === "usage") usage = e.usage;
  }
  return { answer: answer.trim(), reasoning: reasoning.trim(), usage };
}

describe("chat completions against the fake", () => {
  let nim: FakeProvider;
  let qiniu: FakeProvider;
  let openai: FakeProvider;
  beforeAll(async () => {
    [nim, qiniu, openai] = await Promise.all([startFakeProvider({ flavor: "nim" }), startFakeProvider({ flavor: "qiniu" }), startFakeProvider({ flavor: "openai" })]);
  });
  afterEach(() => {
    for (const f of [nim, qiniu, openai]) f.reset();
  });
  afterAll(async () => {
    await Promise.all([nim.close(), qiniu.close(), openai.close()]);
  });

  const cases = [
    { style: "plain", fake: () => nim, model: "meta/llama-3.3-70b-instruct", reasons: false },
    { style: "reasoning_content field", fake: () => nim, model: "deepseek-ai/deepseek-r1", reasons: true },
    { style: "<think> tags", fake: () => nim, model: "qwen/qwq-32b", reasons: true },
    { style: "lone </think>", fake: () => nim, model: "moonshotai/kimi-k2-thinking", reasons: true },
    { style: "<think> on Qiniu", fake: () => qiniu, model: "deepseek-r1", reasons: true },
    { style: "reasoning field (Ollama)", fake: () => openai, model: "gpt-oss:20b", reasons: true },
  ];

  for (const c of cases) {
    it(`keeps reasoning apart from the answer: ${c.style}, non-streaming and streaming`, async () => {
      const chat = createChatModel({ transport: fakeTransport(c.fake()), id: `x:${c.model}`, model: c.model });
      const whole = await chat.complete({ messages });
      const streamed = await collect(chat.stream({ messages }));
      for (const result of [whole, streamed]) {
        expect(result.answer).toContain("Paris is the capital of France");
        expect(result.answer).toContain("[2]");
        expect(result.answer).not.toMatch(/<\/?think>/);
        if (c.reasons) {
          expect(result.reasoning.length).toBeGreaterThan(0);
          expect(result.answer).not.toContain(result.reasoning);
        } else {
          expect(result.reasoning).toBe("");
        }
      }
      expect(streamed.answer).toBe(whole.answer);
      expect(whole.usage?.total_tokens).toBeGreaterThan(0);
      expect(streamed.usage).toEqual(expect.objectContaining({ total_tokens: expect.any(Number) }));
      const streamRequest = sent(c.fake(), "/chat/completions").at(-1)!;
      expect(streamRequest.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });
  }

  it("an error object inside a 200 stream becomes a ProviderError after the deltas before it", async () => {
    nim.inject({ type: "stream-error", afterChunks: 2 }, { route: "chat" });
    const chat = createChatModel({ transport: fakeTransport(nim), id: "nim:meta/llama-3.3-70b-instruct", model: "meta/llama-3.3-70b-instruct" });
    const seen: ChatEvent[] = [];
    const error = await (async () => {
      for await (const e of chat.stream({ messages })) seen.push(e);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("stream");
    expect(seen.filter((e) => e.type === "delta").length).toBeGreaterThan(0);
    // A stream that already started is not retried.
    expect(sent(nim, "/chat/completions")).toHaveLength(1);
  });

  it("aborting the signal stops the upstream stream", async () => {
    nim.set({ streamChunkDelayMs: 50 });
    try {
      const chat = createChatModel({ transport: fakeTransport(nim), id: "nim:meta/llama-3.3-70b-instruct", model: "meta/llama-3.3-70b-instruct" });
      const controller = new AbortController();
      let deltas = 0;
      const run = (async () => {
        for await (const e of chat.stream({ messages, signal: controller.signal })) {
          if (e.type === "delta" && ++deltas === 1) controller.abort(new Error("client gone"));
        }
      })();
      await expect(run).rejects.toThrow();
      expect(deltas).toBe(1);
    } finally {
      nim.set({ streamChunkDelayMs: 0 });
    }
  });
});

describe("think-tag splitting", () => {
  const texts = [
    { input: "<think>weighing sources</think>\n\nThe answer [1].", answer: "The answer [1].", reasoning: "weighing sources" },
    { input: "weighing sources</think>The answer [1].", answer: "The answer [1].", reasoning: "weighing sources" },
    { input: "<think></think>The answer [1].", answer: "The answer [1].", reasoning: "" },
    { input: "The answer [1].", answer: "The answer [1].", reasoning: "" },
    { input: "  <think>a < b</think>答案是巴黎。[2]", answer: "答案是巴黎。[2]", reasoning: "a < b" },
  ];

  for (const t of texts) {
    it(`splits ${JSON.stringify(t.input)} whole and at every chunk boundary`, () => {
      expect(splitThink(t.input)).toEqual({ answer: t.answer, reasoning: t.reasoning });
      for (let cut = 1; cut < t.input.length; cut++) {
        const splitter = createThinkSplitter({ holdUntilClose: () => true });
        const parts = [splitter.push(t.input.slice(0, cut)), splitter.push(t.input.slice(cut)), splitter.flush()];
        expect(
          parts
            .map((p) => p.answer)
            .join("")
            .trim(),
        ).toBe(t.answer);
        expect(
          parts
            .map((p) => p.reasoning)
            .join("")
            .trim(),
        ).toBe(t.reasoning);
      }
    });
  }

  it("streams plain answers at once when the model is not known to omit <think>", () => {
    const splitter = createThinkSplitter();
    expect(splitter.push("Hello wor").answer).toBe("Hello wor");
  });
});
