import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ProviderError } from "../../src/providers/provider-error.js";
import { createProviders } from "../../src/providers/registry.js";

/**
 * Checks the real hosted APIs with the same clients the service uses. Each block is
 * skipped, saying why, when its key is not set.
 */
const config = loadConfig(process.env);
const providers = createProviders(config);
const nimKey = Boolean(process.env.NVIDIA_API_KEY);
const qiniuKey = Boolean(process.env.QINIU_API_KEY);
if (!nimKey) console.warn("live NIM tests skipped: NVIDIA_API_KEY is not set");
if (!qiniuKey) console.warn("live Qiniu tests skipped: QINIU_API_KEY is not set");

describe.skipIf(!nimKey)("NVIDIA NIM (live)", () => {
  it("embeds passages and queries with 1024-dim vectors", async () => {
    const [passage] = await providers.embedder!.embed(["The Rhine flows into the North Sea."], "passage");
    const [query] = await providers.embedder!.embed(["Where does the Rhine flow?"], "query");
    expect(passage).toHaveLength(1024);
    expect(query).toHaveLength(1024);
  });

  it("answers a chat completion, streamed and not", async () => {
    const chat = providers.chat("nim:meta/llama-3.1-8b-instruct");
    const messages = [{ role: "user" as const, content: "Reply with the single word: pong" }];
    const whole = await chat.complete({ messages, maxTokens: 10 });
    expect(whole.answer.toLowerCase()).toContain("pong");
    let streamed = "";
    for await (const e of chat.stream({ messages, maxTokens: 10 })) if (e.type === "delta") streamed += e.text;
    expect(streamed.toLowerCase()).toContain("pong");
  });

  it("reports a model the account cannot call as unknown_model", async () => {
    const error = await providers
      .chat("nim:nvidia/no-such-model-askdocs")
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(["unknown_model", "bad_request"]).toContain((error as ProviderError).kind);
  });

  it("lists models", async () => {
    expect((await providers.listModels("nim")).length).toBeGreaterThan(10);
  });
});

describe.skipIf(!qiniuKey)("Qiniu (live)", () => {
  it("answers a chat completion, streamed and not", async () => {
    const chat = providers.chat("qiniu:deepseek-v3");
    const messages = [{ role: "user" as const, content: "Reply with the single word: pong" }];
    expect((await chat.complete({ messages, maxTokens: 10 })).answer.toLowerCase()).toContain("pong");
    let streamed = "";
    for await (const e of chat.stream({ messages, maxTokens: 10 })) if (e.type === "delta") streamed += e.text;
    expect(streamed.toLowerCase()).toContain("pong");
  });

  it("reports a wrong model id (503 'price of the model is not set') as unknown_model, without retrying", async () => {
    const error = await providers
      .chat("qiniu:no-such-model-askdocs")
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((error as ProviderError).kind).toBe("unknown_model");
  });
});
