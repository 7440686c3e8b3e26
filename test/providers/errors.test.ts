import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { listModels } from "../../src/providers/chat.js";
import { ProviderError } from "../../src/providers/provider-error.js";
import { type FakeProvider, startFakeProvider } from "../fake-provider/index.js";
import { fakeTransport, sent } from "./helpers.js";

const anySchema = z.unknown();
const embedBody = { model: "nvidia/nv-embedqa-e5-v5", input: ["hello"], input_type: "query" };

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("provider errors and retry rules (NIM flavour)", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it("a wrong key is an auth error, never retried, and never echoed", async () => {
    const secret = "nvapi-SECRET-do-not-print";
    const error = await failure(fakeTransport(fake, { apiKey: secret }).postJson("/embeddings", embedBody, anySchema));
    expect(error.kind).toBe("auth");
    expect(error.status).toBe(502);
    expect(error.message).toContain("NVIDIA_API_KEY");
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(sent(fake, "/embeddings")).toHaveLength(1);
  });

  it("402 is a quota error, not retried", async () => {
    fake.inject({ type: "quota" });
    const error = await failure(fakeTransport(fake).postJson("/embeddings", embedBody, anySchema));
    expect(error.kind).toBe("quota");
    expect(error.retryable).toBe(false);
    expect(sent(fake, "/embeddings")).toHaveLength(1);
  });

  it("NIM's 404 'Function … Not found for account' is an unknown model, not retried", async () => {
    const error = await failure(fakeTransport(fake).postJson("/embeddings", { ...embedBody, model: "nvidia/no-such-model" }, anySchema, { model: "nvidia/no-such-model" }));
    expect(error.kind).toBe("unknown_model");
    expect(error.message).toContain("nvidia/no-such-model");
    expect(sent(fake, "/embeddings")).toHaveLength(1);
  });

  it("429 with Retry-After waits that long, then succeeds", async () => {
    fake.inject({ type: "rate-limit", retryAfterSeconds: 1 }, { route: "embeddings" });
    const retries: number[] = [];
    const transport = fakeTransport(fake, { onRetry: (i) => retries.push(i.delayMs) });
    const result = await transport.postJson("/embeddings", embedBody, anySchema);
    expect(result).toHaveProperty("data");
    const [first, second] = sent(fake, "/embeddings");
    expect(first!.status).toBe(429);
    expect(second!.status).toBe(200);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(retries).toEqual([1000]);
  });

  it("429 without Retry-After backs off exponentially and gives up after maxRetries", async () => {
    fake.inject({ type: "rate-limit" }, { route: "embeddings", times: 10 });
    const delays: number[] = [];
    const error = await failure(fakeTransport(fake, { onRetry: (i) => delays.push(i.delayMs) }).postJson("/embeddings", embedBody, anySchema));
    expect(error.kind).toBe("rate_limit");
    expect(error.status).toBe(429);
    expect(error.message).toContain("Gave up after 3 retries");
    expect(sent(fake, "/embeddings")).toHaveLength(4);
    // base 10 ms, doubled, capped at 50, up to 25% jitter below
    expect(delays[0]).toBeGreaterThanOrEqual(7.5);
    expect(delays[0]).toBeLessThanOrEqual(10);
    expect(delays[1]).toBeGreaterThanOrEqual(15);
    expect(delays[1]).toBeLessThanOrEqual(20);
  });

  it("transient 5xx, dropped connections and timeouts are retried", async () => {
    fake.inject({ type: "server-error", status: 500 }, { route: "embeddings" });
    fake.inject({ type: "drop" }, { route: "embeddings" });
    fake.inject({ type: "hang", ms: 800 }, { route: "embeddings" });
    const kinds: string[] = [];
    const transport = fakeTransport(fake, { timeoutMs: 300, onRetry: (i) => kinds.push(i.kind) });
    const result = await transport.postJson("/embeddings", embedBody, anySchema);
    expect(result).toHaveProperty("data");
    expect(kinds).toEqual(["server", "network", "timeout"]);
    expect(transport.retries).toBe(3);
  });

  it("a 400 carries the provider's own detail and is not retried", async () => {
    const error = await failure(fakeTransport(fake).postJson("/embeddings", { ...embedBody, dimensions: 512 }, anySchema));
    expect(error.kind).toBe("bad_request");
    expect(error.message).toMatch(/extra_forbidden|dimensions/);
    expect(sent(fake, "/embeddings")).toHaveLength(1);
  });

  it("HTTP 202 with NVCF-REQID is polled until the result is ready", async () => {
    fake.inject({ type: "accepted", polls: 2 }, { route: "embeddings" });
    const result = await fakeTransport(fake).postJson("/embeddings", embedBody, z.object({ data: z.array(z.object({ index: z.number() })) }));
    expect(result.data).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.includes("/pexec/status/")).length).toBe(3);
  });

  it("lists models with GET /v1/models", async () => {
    const models = await listModels(fakeTransport(fake));
    expect(models).toContain("meta/llama-3.3-70b-instruct");
  });
});

describe("provider errors (Qiniu flavour)", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "qiniu" });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const chatBody = { model: "deepseek-v3", messages: [{ role: "user", content: "hi" }] };
  const qiniu = (f: FakeProvider, key = "test-key") => fakeTransport(f, { provider: "Qiniu", keyVariable: "QINIU_API_KEY", apiKey: key });

  it("a wrong key is never retried (Qiniu blocks IPs that retry)", async () => {
    const error = await failure(qiniu(fake, "wrong").postJson("/chat/completions", chatBody, anySchema));
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("QINIU_API_KEY");
    expect(sent(fake, "/chat/completions")).toHaveLength(1);
  });

  it("503 'the price of the model is not set' means a wrong model id: not retried", async () => {
    const error = await failure(qiniu(fake).postJson("/chat/completions", { ...chatBody, model: "no-such-model" }, anySchema, { model: "no-such-model" }));
    expect(error.kind).toBe("unknown_model");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("no-such-model");
    expect(sent(fake, "/chat/completions")).toHaveLength(1);
  });

  it("a plain 503 is transient and retried", async () => {
    fake.inject({ type: "server-error", status: 503 }, { route: "chat" });
    const result = await qiniu(fake).postJson("/chat/completions", chatBody, anySchema);
    expect(result).toHaveProperty("choices");
    expect(sent(fake, "/chat/completions").map((r) => r.status)).toEqual([503, 200]);
  });
});
