import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPacer } from "../../src/providers/pacing.js";
import { createProviders } from "../../src/providers/registry.js";
import { type FakeProvider, startFakeProvider } from "../fake-provider/index.js";
import { fakeConfig, fakeTransport, sent } from "./helpers.js";

const body = { model: "nvidia/nv-embedqa-e5-v5", input: ["x"], input_type: "query" };

describe("pacing", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterAll(() => fake.close());

  it("never starts more requests per window than configured, measured at the fake", async () => {
    fake.reset();
    // 120/min = one start every 500 ms; the fake enforces the same limit over its window.
    const pacer = createPacer({ name: "nim", rpm: 120, concurrency: 4 });
    const transport = fakeTransport(fake, { pacer });
    const { z } = await import("zod");
    await Promise.all(Array.from({ length: 6 }, () => transport.postJson("/embeddings", body, z.unknown())));
    const times = sent(fake, "/embeddings").map((r) => r.at);
    expect(times).toHaveLength(6);
    // Starts are spaced 500 ms apart at the client; arrivals at the fake jitter with the
    // event loop of a busy machine, so each gap is checked loosely and the overall rate tightly.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    const span = times.at(-1)! - times[0]!;
    expect(span).toBeGreaterThanOrEqual(5 * 500 - 60);
    expect(((times.length - 1) / span) * 60_000).toBeLessThanOrEqual(120 * 1.03);
    expect(transport.retries).toBe(0);
  });

  it("one queue per provider is shared by embeddings and chat", async () => {
    fake.reset();
    const providers = createProviders(fakeConfig(fake, { NIM_RPM: "180", NIM_CONCURRENCY: "4" }));
    await Promise.all([
      providers.embedder!.embed(["a"], "passage"),
      providers.chat("nim:meta/llama-3.3-70b-instruct").complete({ messages: [{ role: "user", content: "Question: hi?" }] }),
      providers.embedder!.embed(["b"], "query"),
    ]);
    const times = fake.requests.map((r) => r.at);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    // 180/min = one start every 333 ms across both kinds of call.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2 * 333 - 40);
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

  it("rejects impossible options in p-queue's manner", () => {
    expect(() => createPacer({ name: "p", rpm: 0, concurrency: 1 })).toThrow("Expected `rpm` to be a finite number >= 1, got `0` (number)");
  });
});
