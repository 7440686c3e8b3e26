import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { type Lane, type Pacer, QueueFullError, createPacer } from "../../src/providers/pacing.js";
import { ProviderError } from "../../src/providers/provider-error.js";
import { createProviders } from "../../src/providers/registry.js";
import { type FakeProvider, startFakeProvider } from "../fake-provider/index.js";
import { fakeConfig, fakeTransport, sent } from "./helpers.js";

const body = { model: "nvidia/nv-embedqa-e5-v5", input: ["x"], input_type: "query" };

/** Waits until the pacer has handled everything it can start now (starts are synchronous after a microtask). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A call that records its start and holds its slot until released. */
function gate(pacer: Pacer, started: string[], name: string, lane: Lane) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const done = pacer.schedule(
    async () => {
      started.push(name);
      await held;
    },
    { lane },
  );
  return { release, done };
}

describe("pacing", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterAll(() => fake.close());

  it("an idle pacer starts calls at once, up to the limit in any rolling window", async () => {
    const pacer = createPacer({ name: "p", rpm: 4, concurrency: 8, windowMs: 1000 });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => pacer.schedule(async () => void starts.push(Date.now()))));
    // Four at once (no spacing); the fifth only once the first has left the window.
    expect(starts[3]! - starts[0]!).toBeLessThan(1000);
    expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(1000);
    expect(starts[5]! - starts[1]!).toBeGreaterThanOrEqual(1000);
  });

  it("sends as many requests at once as the limit allows, measured at the fake", async () => {
    fake.reset();
    const pacer = createPacer({ name: "nim", rpm: 120, concurrency: 4 });
    const transport = fakeTransport(fake, { pacer });
    await Promise.all(Array.from({ length: 6 }, () => transport.postJson("/embeddings", body, z.unknown())));
    expect(sent(fake, "/embeddings").map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(transport.retries).toBe(0);
  });

  it("interactive calls start before batch calls queued earlier", async () => {
    const pacer = createPacer({ name: "p", rpm: 1000, concurrency: 1 });
    const started: string[] = [];
    const first = gate(pacer, started, "batch 0", "batch");
    const rest = [1, 2, 3].map((i) => gate(pacer, started, `batch ${i}`, "batch"));
    const question = gate(pacer, started, "question", "interactive");
    await settle();
    expect(started).toEqual(["batch 0"]);
    expect(pacer.waiting).toBe(4);
    for (const g of [first, question, ...rest]) g.release();
    await Promise.all([first.done, question.done, ...rest.map((g) => g.done)]);
    expect(started).toEqual(["batch 0", "question", "batch 1", "batch 2", "batch 3"]);
  });

  it("batch work leaves an in-flight slot to questions", async () => {
    const pacer = createPacer({ name: "p", rpm: 1000, concurrency: 3 });
    const started: string[] = [];
    const batch = [0, 1, 2].map((i) => gate(pacer, started, `batch ${i}`, "batch"));
    await settle();
    // Two of three slots: the third stays free although batch work waits.
    expect(started).toEqual(["batch 0", "batch 1"]);
    const question = gate(pacer, started, "question", "interactive");
    await settle();
    expect(started).toEqual(["batch 0", "batch 1", "question"]);
    // A slot freed while the question runs is still kept free for the next one.
    batch[0]!.release();
    await batch[0]!.done;
    await settle();
    expect(started).toEqual(["batch 0", "batch 1", "question"]);
    question.release();
    await question.done;
    await settle();
    expect(started).toEqual(["batch 0", "batch 1", "question", "batch 2"]);
    for (const g of batch) g.release();
    await Promise.all([...batch, question].map((g) => g.done));
  });

  it("leaves no timer behind once its queue is empty (a pending window timer kept the ingest command alive for a minute)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const pacer = createPacer({ name: "p", rpm: 1000, concurrency: 2 });
      // Batch calls wait for a slot, not for the window.
      await Promise.all(Array.from({ length: 5 }, () => pacer.schedule(async () => undefined, { lane: "batch" })));
      expect(vi.getTimerCount()).toBe(0);
      // A call aborted while the window is full takes its wake-up timer with it.
      const full = createPacer({ name: "q", rpm: 1, concurrency: 2, windowMs: 60_000 });
      await full.schedule(async () => undefined);
      const stop = new AbortController();
      const waiting = full.schedule(async () => undefined, { signal: stop.signal }).catch(() => "aborted");
      expect(vi.getTimerCount()).toBe(1);
      stop.abort();
      expect(await waiting).toBe("aborted");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("batch work leaves a reserve of the window to questions", async () => {
    const pacer = createPacer({ name: "p", rpm: 10, concurrency: 100, interactiveReserve: 2 });
    let batchStarts = 0;
    const stop = new AbortController();
    const batch = Array.from({ length: 12 }, () => pacer.schedule(async () => void batchStarts++, { lane: "batch", signal: stop.signal }).catch(() => "aborted"));
    await settle();
    expect(batchStarts).toBe(8);
    // The window is full for batch work, not for a question.
    let asked = false;
    await pacer.schedule(
      async () => {
        asked = true;
      },
      { maxWaitMs: 0 },
    );
    expect(asked).toBe(true);
    expect(batchStarts).toBe(8);
    expect(pacer.waiting).toBe(4);
    stop.abort();
    expect((await Promise.all(batch)).filter((r) => r === "aborted")).toHaveLength(4);
  });

  it("a burst of questions admits only those whose follow-up call fits the wait budget", async () => {
    const pacer = createPacer({ name: "p", rpm: 6, concurrency: 100 });
    // Each question: a first call announcing one follow-up (embedding, then chat).
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        pacer
          .schedule(async () => i, { maxWaitMs: 1000, followUps: 1 })
          .then(
            (id) => pacer.schedule(async () => `answered ${id}`, { maxWaitMs: 1000, followUp: true }),
            (error: unknown) => (error instanceof QueueFullError ? "refused" : "other"),
          ),
      ),
    );
    // Three questions fill the window of six (3 x 2 calls); the rest are refused at once, not half-answered.
    expect(outcomes).toEqual(["answered 0", "answered 1", "answered 2", "refused", "refused"]);
  });

  it("one queue per provider is shared by embeddings and chat", async () => {
    fake.reset();
    const providers = createProviders(fakeConfig(fake, { NIM_RPM: "2", NIM_CONCURRENCY: "4" }));
    const call = { maxQueueWaitMs: 1000 };
    await providers.embedder!.embed(["a"], "query", call);
    await providers.chat("nim:meta/llama-3.3-70b-instruct").complete({ messages: [{ role: "user", content: "Question: hi?" }], ...call });
    // Two calls filled this minute: a third, of either kind, would wait about a minute.
    const refused = await providers.embedder!.embed(["b"], "query", call).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).kind).toBe("busy");
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it("a 429 holds back every queued request, not just the one that got it", async () => {
    fake.reset();
    fake.inject({ type: "rate-limit", retryAfterSeconds: 1 }, { route: "embeddings" });
    const providers = createProviders(fakeConfig(fake, { NIM_CONCURRENCY: "1" }));
    await Promise.all([providers.embedder!.embed(["a"], "passage"), providers.embedder!.embed(["b"], "passage"), providers.embedder!.embed(["c"], "passage")]);
    const [limited, ...rest] = fake.requests;
    expect(limited!.status).toBe(429);
    expect(rest.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of rest) expect(r.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it("pauseFor holds queued work back", async () => {
    const pacer = createPacer({ name: "p", rpm: 100_000, concurrency: 4 });
    pacer.pauseFor(300);
    const t0 = Date.now();
    await pacer.schedule(async () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it("a call aborted while it waits leaves the queue and never runs", async () => {
    const pacer = createPacer({ name: "p", rpm: 1000, concurrency: 1 });
    const started: string[] = [];
    const first = gate(pacer, started, "first", "batch");
    const controller = new AbortController();
    const waiting = pacer.schedule(async () => void started.push("aborted"), { signal: controller.signal });
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    expect(pacer.waiting).toBe(0);
    first.release();
    await first.done;
    expect(started).toEqual(["first"]);
  });

  it("rejects impossible options in p-queue's manner", () => {
    expect(() => createPacer({ name: "p", rpm: 0, concurrency: 1 })).toThrow("Expected `rpm` to be a finite number >= 1, got `0` (number)");
    expect(() => createPacer({ name: "p", rpm: 5, concurrency: 1, interactiveReserve: 5 })).toThrow("Expected `interactiveReserve` to be an integer >= 0 and < rpm, got `5` (number)");
    expect(() => createPacer({ name: "p", rpm: 5, concurrency: 2, interactiveSlots: 2 })).toThrow("Expected `interactiveSlots` to be an integer >= 0 and < concurrency, got `2` (number)");
  });
});
