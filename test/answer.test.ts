/**
 * The answer service without HTTP, over the in-memory store and the fake provider: the
 * order of its events, errors before and after the first event, generation options and
 * history passed to the chat model, extractive answers, and cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerEvent, AnswerRequest } from "../src/answer/answer.js";
import { loadConfig } from "../src/config.js";
import { AppError, NotFoundError } from "../src/errors.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import type { Runtime } from "../src/runtime/runtime.js";
import { createMemoryStore } from "../src/store/memory-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { fakeConfig, sent } from "./providers/helpers.js";

const TIDES = "# Tides\n\nTides are caused by the gravity of the Moon and the Sun. Spring tides come at new and full moon.\n\n## Tide pools\n\nTide pools hold sea water on rocky shores at low tide.";
const TEA = "# 茶的简史\n\n陆羽在唐代写成《茶经》，这是世界上第一部茶学专著。";

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const out: AnswerEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function seeded(rt: Runtime): Promise<void> {
  const collection = await rt.store.openCollection("default", { embedModel: rt.config.EMBED_MODEL, dims: rt.ingest.dims });
  const files = [
    ["tides.md", TIDES],
    ["tea.md", TEA],
  ].map(([source, text]) => {
    const bytes = new TextEncoder().encode(text);
    return { source: source!, size: bytes.length, read: async () => bytes };
  });
  const report = await rt.ingest.ingest("default", collection, files);
  expect(report.files.map((f) => f.status)).toEqual(["ingested", "ingested"]);
}

describe("answer service", () => {
  let fake: FakeProvider;
  let rt: Runtime;
  const ask = (request: Partial<AnswerRequest>) => rt.answer({ question: "What causes tides?", collection: "default", topK: 4, stream: true, ...request });

  beforeAll(async () => {
    fake = await startFakeProvider();
    rt = createRuntime({ config: fakeConfig(fake), store: createMemoryStore(), providers: { baseDelayMs: 5 } });
    await seeded(rt);
  });
  afterAll(async () => {
    await rt.close();
    await fake.close();
  });

  for (const stream of [true, false]) {
    it(`yields retrieval, then the answer, then done (${stream ? "streamed" : "one completion"})`, async () => {
      const events = await collect(ask({ stream, model: "nim:deepseek-ai/deepseek-r1" }));
      const types = events.map((e) => e.type);
      expect(types[0]).toBe("retrieval");
      expect(types.at(-1)).toBe("done");
      expect(types).toContain("delta");
      expect(types).toContain("reasoning");
      const retrieval = events[0] as Extract<AnswerEvent, { type: "retrieval" }>;
      expect(retrieval).toMatchObject({ model: "nim:deepseek-ai/deepseek-r1", answerMode: "generative", mode: "hybrid" });
      expect(retrieval.passages[0]?.source).toBe("tides.md");
      const done = events.at(-1) as Extract<AnswerEvent, { type: "done" }>;
      // `done` carries what the deltas said, whole.
      expect(done.answer).toBe(events.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join(""));
      expect(done.reasoning).toBe(events.flatMap((e) => (e.type === "reasoning" ? [e.text] : [])).join(""));
      expect(done.answer).toMatch(/Moon/);
      expect(done.cited).toContain(1);
      expect(done.usage?.total_tokens).toBeGreaterThan(0);
    });
  }

  it("passes generation options and the conversation to the chat model, the sources with the last question only", async () => {
    fake.reset();
    const history = [
      { role: "user" as const, content: "Tell me about tides." },
      { role: "assistant" as const, content: "They rise and fall twice a day." },
    ];
    await collect(ask({ question: "What causes them?", query: "What causes tides?", history, generation: { temperature: 0.2, topP: 0.9, maxTokens: 128 } }));
    const [request] = sent(fake, "/chat/completions");
    const body = request!.body as { temperature: number; top_p: number; max_tokens: number; messages: { role: string; content: string }[] };
    expect([body.temperature, body.top_p, body.max_tokens]).toEqual([0.2, 0.9, 128]);
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(body.messages.slice(1, 3).map((m) => m.content)).toEqual(history.map((m) => m.content));
    expect(body.messages[3]!.content).toMatch(/^Sources:\n\[1\] .*Moon[\s\S]*Question: What causes them\?$/);
    // The retrieval query, not the elliptical follow-up, chose the sources.
    const [embedded] = sent(fake, "/embeddings");
    expect((embedded!.body as { input: string[] }).input).toEqual(["What causes tides?"]);
  });

  it("throws before the first event when the collection or the model is wrong", async () => {
    await expect(ask({ collection: "missing" }).next()).rejects.toThrow(NotFoundError);
    const badModel = await ask({ model: "nope:model" })
      .next()
      .catch((e: unknown) => e);
    expect(badModel).toBeInstanceOf(AppError);
    expect((badModel as AppError).status).toBe(400);
  });

  it("reports a failure after the first event as an error event", async () => {
    fake.reset();
    fake.inject({ type: "stream-error", afterChunks: 2 }, { route: "chat" });
    const events = await collect(ask({}));
    expect(events[0]!.type).toBe("retrieval");
    const last = events.at(-1)!;
    expect(last.type).toBe("error");
    expect((last as Extract<AnswerEvent, { type: "error" }>).error).toBeInstanceOf(AppError);
    expect(events.some((e) => e.type === "done")).toBe(false);
  });

  it("answers extractively without a chat provider, and says when nothing was found", async () => {
    const offline = createRuntime({ config: loadConfig({}), store: rt.store });
    const events = await collect(offline.answer({ question: "《茶经》是谁写的？", collection: "default", topK: 3, stream: true }));
    expect(events[0]).toMatchObject({ type: "retrieval", model: null, answerMode: "extractive", mode: "keyword" });
    const done = events.at(-1) as Extract<AnswerEvent, { type: "done" }>;
    expect(done.answer).toMatch(/陆羽.*\[1\]/);
    expect(done.cited).toEqual([1]);
    const none = await collect(offline.answer({ question: "zzyzx qwertz", collection: "default", topK: 3, stream: false }));
    expect(none[0]).toMatchObject({ type: "retrieval", passages: [] });
    expect((none.at(-1) as Extract<AnswerEvent, { type: "done" }>).answer).toMatch(/No passages/);
  });

  it("stops the model call when the caller aborts", async () => {
    fake.reset();
    fake.set({ streamChunkDelayMs: 50 });
    try {
      const controller = new AbortController();
      const events: AnswerEvent[] = [];
      for await (const event of ask({ signal: controller.signal })) {
        events.push(event);
        if (event.type === "delta") controller.abort(new Error("client went away"));
      }
      expect(events.filter((e) => e.type === "delta")).toHaveLength(1);
      expect(events.some((e) => e.type === "done" || e.type === "error")).toBe(false);
      const [request] = sent(fake, "/chat/completions");
      await expect.poll(() => request!.disconnected).toBe(true);
    } finally {
      fake.set({ streamChunkDelayMs: 0 });
    }
  });
});
