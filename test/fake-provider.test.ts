import { createCanvas } from "@napi-rs/canvas";
import { afterEach, describe, expect, it } from "vitest";
import { estimateTokens, fakeEmbedding, fakeOcrText, startFakeProvider, type FakeProvider, type FakeProviderOptions } from "./fake-provider/index.js";
import { fromBase64 } from "./fake-provider/vectors.js";

// Real HTTP on 127.0.0.1:0 with the global fetch, as clients will use it.

const KEY = "test-key";
let open: FakeProvider[] = [];

async function start(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const provider = await startFakeProvider(options);
  open.push(provider);
  return provider;
}

afterEach(async () => {
  await Promise.all(open.map((p) => p.close()));
  open = [];
});

function post(url: string, body: unknown, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = KEY, ...rest } = init;
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify(body),
    ...rest,
  });
}

function get(url: string, key: string | null = KEY): Promise<Response> {
  return fetch(url, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
}

/** Raw SSE events: JSON payloads, or the literal "[DONE]". */
async function events(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      expect(block.startsWith("data: ")).toBe(true);
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : (JSON.parse(data) as unknown);
    });
}

interface Chunk {
  object: string;
  choices: { index: number; delta: Record<string, string>; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function cosine(a: number[], b: number[]): number {
  return a.reduce((sum, x, i) => sum + x * b[i]!, 0);
}

const E5 = "nvidia/nv-embedqa-e5-v5";
const PROMPT_EN = [
  {
    role: "system",
    content:
      "Answer only from the sources. Cite them as [n].\n\n[1] The Eiffel Tower is in Paris. It was finished in 1889.\n[2] Berlin is the capital of Germany. The Spree river runs through Berlin.\n[3] Refunds are issued within 14 days of the return being received.",
  },
  { role: "user", content: "Question: Which river runs through Berlin?" },
];
const PROMPT_ZH = [{ role: "user", content: "[1] 本店支持七天无理由退货。退货运费由买家承担。\n[2] 会员每月可以领取一张优惠券。\n\nQuestion: 退货的运费由谁承担？" }];

describe("auth", () => {
  it("answers 401 with each flavor's own body and never records the key", async () => {
    const nim = await start();
    for (const key of [null, "wrong"]) {
      const res = await get(`${nim.url}/models`, key);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ status: 401, title: "Unauthorized", detail: "Authentication failed" });
    }
    expect(nim.requests[1]!.headers.authorization).toBe("Bearer <redacted>");
    expect(JSON.stringify(nim.requests)).not.toContain("wrong");

    const qiniu = await start({ flavor: "qiniu" });
    const missing = await post(`${qiniu.url}/chat/completions`, {}, { key: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "authorization header missing", status: false });
    const wrong = await post(`${qiniu.url}/chat/completions`, {}, { key: "wrong" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { message: "invalid api key", type: "invalid_request_error" } });

    const openai = await start({ flavor: "openai", apiKey: "sk-local" });
    const bad = await get(`${openai.url}/models`, KEY);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_api_key" } });
    expect((await get(`${openai.url}/models`, "sk-local")).status).toBe(200);
  });
});

describe("models", () => {
  it("lists each flavor's catalogue in the OpenAI list shape", async () => {
    const nim = await start();
    const list = (await (await get(`${nim.url}/models`)).json()) as { object: string; data: { id: string; object: string }[] };
    expect(list.object).toBe("list");
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([E5, "baai/bge-m3", "nvidia/llama-3.2-nv-rerankqa-1b-v2", "deepseek-ai/deepseek-r1"]));
    expect(list.data.every((m) => m.object === "model")).toBe(true);

    const qiniu = await start({ flavor: "qiniu" });
    const qiniuIds = ((await (await get(`${qiniu.url}/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(qiniuIds).toEqual(["deepseek-r1", "deepseek-v3", "deepseek-v3.1", "qwen-turbo", "qwen3-32b"]);
  });
});

describe("embeddings", () => {
  it("rejects unknown fields on NIM like pydantic extra_forbidden, accepts them on openai", async () => {
    const nim = await start();
    const res = await post(`${nim.url}/embeddings`, { model: E5, input: ["a"], input_type: "query", dimensions: 512 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { status: number; detail: string };
    expect(body.status).toBe(400);
    expect(body.detail).toContain("extra_forbidden");
    expect(body.detail).toContain("('body', 'dimensions')");

    const openai = await start({ flavor: "openai" });
    expect((await post(`${openai.url}/embeddings`, { model: E5, input: ["a"], dimensions: 512 })).status).toBe(200);
  });

  it("requires input_type for e5 on NIM, unless the model id carries the suffix", async () => {
    const nim = await start();
    const res = await post(`${nim.url}/embeddings`, { model: E5, input: ["hello"] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "'input_type' parameter is required for asymmetric models" });
    expect((await post(`${nim.url}/embeddings`, { model: `${E5}-query`, input: ["hello"] })).status).toBe(200);
    expect((await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["hello"] })).status).toBe(200);
  });

  it("answers 404 Function-not-found for unknown and listed-but-uncallable models; qiniu has no embeddings", async () => {
    const nim = await start();
    for (const model of ["nope/model", "nvidia/llama-3.2-nv-embedqa-1b-v2"]) {
      const res = await post(`${nim.url}/embeddings`, { model, input: ["a"], input_type: "query" });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { detail: string };
      expect(body).toMatchObject({ status: 404, title: "Not Found" });
      expect(body.detail).toMatch(/^Function '[0-9a-f-]{36}': Not found for account '\w+'$/);
    }
    const qiniu = await start({ flavor: "qiniu" });
    expect((await post(`${qiniu.url}/embeddings`, { model: "baai/bge-m3", input: ["a"] })).status).toBe(404);
  });

  it("rejects over-long input with truncate NONE and truncates with END or START", async () => {
    const nim = await start();
    const text = Array.from({ length: 500 }, (_, i) => `word${i}`).join(" ");
    const tokens = estimateTokens(text);
    expect(tokens).toBeGreaterThan(512);
    const res = await post(`${nim.url}/embeddings`, { model: E5, input: [text], input_type: "passage" });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(`Input length ${tokens} exceeds maximum allowed token size 512`);

    for (const truncate of ["END", "START"]) {
      const ok = await post(`${nim.url}/embeddings`, { model: E5, input: [text], input_type: "passage", truncate });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { usage: { prompt_tokens: number } };
      expect(body.usage.prompt_tokens).toBeLessThanOrEqual(512);
      expect(body.usage.prompt_tokens).toBeGreaterThan(500);
    }
    // bge-m3 allows 8192.
    expect((await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: [text] })).status).toBe(200);
  });

  it("returns data in shuffled index order, with the vectors of fakeEmbedding", async () => {
    const nim = await start();
    const inputs = ["alpha beta", "gamma delta", "epsilon zeta"];
    const res = await post(`${nim.url}/embeddings`, { model: E5, input: inputs, input_type: "passage" });
    const body = (await res.json()) as {
      object: string;
      model: string;
      data: { object: string; index: number; embedding: number[] }[];
      usage: { prompt_tokens: number; total_tokens: number };
    };
    expect(body.object).toBe("list");
    expect(body.model).toBe(E5);
    expect(body.data.map((d) => d.index)).toEqual([2, 1, 0]);
    for (const d of body.data) {
      expect(d.object).toBe("embedding");
      expect(d.embedding).toEqual(fakeEmbedding(inputs[d.index]!));
    }
    expect(body.usage.total_tokens).toBe(inputs.reduce((n, t) => n + estimateTokens(t), 0));
  });

  it("encodes base64 as little-endian float32 of the same vector", async () => {
    const nim = await start();
    const res = await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: "hello world", encoding_format: "base64" });
    const body = (await res.json()) as { data: { embedding: string }[] };
    expect(typeof body.data[0]!.embedding).toBe("string");
    expect(fromBase64(body.data[0]!.embedding)).toEqual(fakeEmbedding("hello world"));
  });

  it("answers 413 when the batch exceeds maxBatch, and set() changes it at run time", async () => {
    const nim = await start({ maxBatch: 2 });
    const res = await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["a", "b", "c"] });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ status: 413, title: "Payload Too Large", detail: "batch size 3 exceeds the maximum of 2 inputs" });
    nim.set({ maxBatch: 3 });
    expect((await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["a", "b", "c"] })).status).toBe(200);
  });
});

describe("fakeEmbedding", () => {
  it("is deterministic, 1024-dim, unit length, and strips query:/passage: prefixes", () => {
    const v = fakeEmbedding("The quick brown fox");
    expect(v).toHaveLength(1024);
    expect(fakeEmbedding("The quick brown fox")).toEqual(v);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(fakeEmbedding("query: The quick brown fox")).toEqual(v);
    expect(fakeEmbedding("passage: The quick brown fox")).toEqual(v);
    expect(Math.hypot(...fakeEmbedding(""))).toBeCloseTo(1, 5);
  });

  it("keeps word order through bigrams", () => {
    const a = fakeEmbedding("man bites dog");
    const b = fakeEmbedding("dog bites man");
    expect(a).not.toEqual(b);
    expect(cosine(a, b)).toBeGreaterThan(0.5);
  });

  it("puts lexically similar texts closer than unrelated ones (English and Chinese)", () => {
    const en = fakeEmbedding("How do I reset my router password?");
    expect(cosine(en, fakeEmbedding("To reset the router password, hold the button."))).toBeGreaterThan(cosine(en, fakeEmbedding("Bananas are rich in potassium.")) + 0.2);
    const zh = fakeEmbedding("如何重置路由器密码？");
    expect(cosine(zh, fakeEmbedding("重置路由器密码的方法是长按按钮。"))).toBeGreaterThan(cosine(zh, fakeEmbedding("香蕉富含钾元素。")) + 0.2);
  });
});

describe("estimateTokens", () => {
  it("counts a token per CJK character and 1.3 per Latin word, splitting mixed runs", () => {
    expect(estimateTokens("退货政策")).toBe(4);
    expect(estimateTokens("hello, world!")).toBe(3);
    expect(estimateTokens("用API调用")).toBe(3 + 2);
    expect(estimateTokens("")).toBe(0);
  });
});

describe("chat", () => {
  const cases = [
    { flavor: "nim", model: "meta/llama-3.3-70b-instruct", style: "plain" },
    { flavor: "nim", model: "deepseek-ai/deepseek-r1", style: "reasoning_content" },
    { flavor: "nim", model: "qwen/qwq-32b", style: "think" },
    { flavor: "nim", model: "moonshotai/kimi-k2-thinking", style: "closing-think" },
    { flavor: "qiniu", model: "deepseek-r1", style: "think" },
    { flavor: "qiniu", model: "deepseek-v3", style: "plain" },
    { flavor: "openai", model: "gpt-oss:20b", style: "reasoning" },
  ] as const;
  const ANSWER = "The Spree river runs through Berlin. [2]";

  for (const { flavor, model, style } of cases) {
    it(`${flavor} ${model}: non-stream and stream carry reasoning as "${style}"`, async () => {
      const provider = await start({ flavor });
      const res = await post(`${provider.url}/chat/completions`, { model, messages: PROMPT_EN });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        object: string;
        model: string;
        choices: { index: number; message: Record<string, string>; finish_reason: string }[];
        usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      };
      expect(body).toMatchObject({ object: "chat.completion", model, choices: [{ index: 0, finish_reason: "stop" }] });
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
      const message = body.choices[0]!.message;
      expect(message.role).toBe("assistant");
      const content = message.content!;
      switch (style) {
        case "plain":
          expect(message).toEqual({ role: "assistant", content: ANSWER });
          break;
        case "reasoning_content":
        case "reasoning":
          expect(content).toBe(ANSWER);
          expect(message[style]).toMatch(/^Looking for/);
          expect(Object.keys(message).sort()).toEqual(["content", "role", style].sort());
          break;
        case "think":
          expect(content).toMatch(/^<think>\nLooking for[\s\S]*\n<\/think>\n\nThe Spree river runs through Berlin\. \[2\]$/);
          break;
        case "closing-think":
          expect(content).toMatch(/^Looking for[\s\S]*\n<\/think>\n\nThe Spree river runs through Berlin\. \[2\]$/);
          expect(content).not.toContain("<think>");
          break;
      }

      const streamed = await post(`${provider.url}/chat/completions`, { model, messages: PROMPT_EN, stream: true });
      expect(streamed.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const all = await events(streamed);
      expect(all.at(-1)).toBe("[DONE]");
      const chunks = all.slice(0, -1) as Chunk[];
      expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
      expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
      expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: "stop" });
      expect(chunks.some((c) => "usage" in c)).toBe(false);
      const join = (field: string) => chunks.map((c) => c.choices[0]!.delta[field] ?? "").join("");
      expect(join("content")).toBe(content);
      if (style === "reasoning_content" || style === "reasoning") expect(join(style)).toBe(message[style]);
      expect(chunks.length).toBeGreaterThan(5);
      if (style === "think" || style === "closing-think") {
        // The closing tag never arrives whole in one delta.
        const deltas = chunks.map((c) => c.choices[0]!.delta.content ?? "");
        expect(deltas.some((d) => d.includes("</think>"))).toBe(false);
        expect(deltas.some((d) => d.endsWith("</t") || d.endsWith("</th"))).toBe(true);
      }
    });
  }

  it("sends a final usage chunk with empty choices when include_usage is set, and honours streamChunkDelayMs", async () => {
    const nim = await start({ streamChunkDelayMs: 5 });
    const started = Date.now();
    const res = await post(`${nim.url}/chat/completions`, {
      model: "meta/llama-3.1-8b-instruct",
      messages: PROMPT_EN,
      stream: true,
      stream_options: { include_usage: true },
    });
    const all = await events(res);
    expect(all.at(-1)).toBe("[DONE]");
    const last = all.at(-2) as Chunk;
    expect(last.choices).toEqual([]);
    expect(last.usage!.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * (all.length - 1) - 5);
  });

  it("answers extractively in English and Chinese, and says when the sources lack the answer", async () => {
    const nim = await start();
    const ask = async (messages: unknown) => {
      const res = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages });
      return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    };
    expect(await ask(PROMPT_EN)).toBe("The Spree river runs through Berlin. [2]");
    expect(await ask(PROMPT_ZH)).toBe("退货运费由买家承担。 [1]");
    const refund = [{ role: "user", content: `${PROMPT_EN[0]!.content}\n\nQuestion: How many days until refunds are issued?` }];
    expect(await ask(refund)).toBe("Refunds are issued within 14 days of the return being received. [3]");
    expect(await ask([PROMPT_EN[0], { role: "user", content: "Question: What is the boiling point of mercury?" }])).toBe("The sources do not contain the answer.");
    expect(await ask([PROMPT_EN[0], { role: "user", content: "Question: 水银的沸点是多少？" }])).toBe("资料中没有找到答案。");
  });

  it("rejects malformed bodies with 400 and unknown models with each flavor's error", async () => {
    const nim = await start();
    const bad = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain("messages");

    const unknown = await post(`${nim.url}/chat/completions`, { model: "meta/llama-9", messages: PROMPT_EN });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain("Not found for account");

    const qiniu = await start({ flavor: "qiniu" });
    const wrong = await post(`${qiniu.url}/chat/completions`, { model: "deepseek-v9", messages: PROMPT_EN });
    expect(wrong.status).toBe(503);
    expect(await wrong.json()).toEqual({
      error: { message: "the price of the model is not set (model: deepseek-v9)", type: "quota_exceeded_error" },
    });
  });

  it("marks a request whose client disconnects mid-stream and stops writing", async () => {
    const nim = await start({ streamChunkDelayMs: 20 });
    const controller = new AbortController();
    const res = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages: PROMPT_EN, stream: true }, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expect.poll(() => nim.requests[0]!.disconnected).toBe(true);
  });
});

describe("vision chat", () => {
  const VISION = "meta/llama-3.2-11b-vision-instruct";
  /** A real PNG or JPEG from @napi-rs/canvas; noise makes it incompressible, for the size limit. */
  async function image(width: number, height: number, format: "png" | "jpeg" = "png", noise = false): Promise<string> {
    const canvas = createCanvas(width, height);
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(width, height);
    for (let i = 0; i < pixels.data.length; i++) pixels.data[i] = noise ? Math.floor(Math.random() * 256) : 255;
    context.putImageData(pixels, 0, 0);
    const bytes = format === "png" ? await canvas.encode("png") : await canvas.encode("jpeg", 80);
    return `data:image/${format};base64,${bytes.toString("base64")}`;
  }
  const ask = (url: string, extra: object = {}) => ({
    role: "user",
    content: [
      { type: "text", text: "Transcribe this page." },
      { type: "image_url", image_url: { url, ...extra } },
    ],
  });
  const detail = async (res: Response) => {
    expect(res.status).toBe(400);
    return ((await res.json()) as { detail: string }).detail;
  };

  it("lists vision models, which answer with their reading of the image, streaming or not", async () => {
    const nim = await start();
    const ids = ((await (await get(`${nim.url}/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([VISION, "nvidia/llama-3.1-nemotron-nano-vl-8b-v1"]));

    const png = await image(40, 30);
    const res = await post(`${nim.url}/chat/completions`, { model: VISION, messages: [ask(png)], temperature: 0 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { role: string; content: string } }[]; usage: { total_tokens: number } };
    expect(body.choices[0]!.message).toEqual({ role: "assistant", content: fakeOcrText({ format: "png", width: 40, height: 30 }) });
    expect(body.usage.total_tokens).toBeGreaterThan(0);

    const jpeg = await image(64, 48, "jpeg");
    const streamed = await post(`${nim.url}/chat/completions`, { model: VISION, messages: [ask(jpeg, { detail: "low" })], stream: true });
    const chunks = (await events(streamed)).slice(0, -1) as Chunk[];
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? "").join("")).toBe(fakeOcrText({ format: "jpeg", width: 64, height: 48 }));

    // Several images where the model takes several: one reading each, in order.
    const two = {
      role: "user",
      content: [
        { type: "image_url", image_url: { url: png } },
        { type: "image_url", image_url: { url: jpeg } },
      ],
    };
    const both = await post(`${nim.url}/chat/completions`, { model: "nvidia/llama-3.1-nemotron-nano-vl-8b-v1", messages: [two] });
    const text = ((await both.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    expect(text).toBe(`${fakeOcrText({ format: "png", width: 40, height: 30 })}\n\n${fakeOcrText({ format: "jpeg", width: 64, height: 48 })}`);
  });

  it("validates content parts and images like hosted NIM, naming the field", async () => {
    const nim = await start();
    const chat = (messages: unknown[], model = VISION) => post(`${nim.url}/chat/completions`, { model, messages });
    const png = await image(40, 30);

    const badType = await detail(
      await chat([
        {
          role: "user",
          content: [
            { type: "text", text: "hi" },
            { type: "video", url: png },
          ],
        },
      ]),
    );
    expect(badType).toContain("'type': 'union_tag_invalid', 'loc': ('body', 'messages', 0, 'content', 1, 'type')");
    expect(await detail(await chat([{ role: "user", content: [{ type: "image_url", image_url: png }] }]))).toContain("'loc': ('body', 'messages', 0, 'content', 0, 'image_url')");
    expect(await detail(await chat([{ role: "user", content: [{ type: "text" }] }]))).toContain("'loc': ('body', 'messages', 0, 'content', 0, 'text')");
    expect(await detail(await chat([ask(png, { detail: "ultra" })]))).toContain("'loc': ('body', 'messages', 0, 'content', 1, 'image_url', 'detail')");

    for (const url of ["https://example.com/page.png", "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "data:image/png;asset_id,0b1c2d3e"]) {
      expect(await detail(await chat([ask(url)]))).toBe("messages[0].content[1].image_url.url: expected a data:image/png or data:image/jpeg base64 URL");
    }
    expect(await detail(await chat([ask(png.replace("image/png", "image/jpeg"))]))).toBe("messages[0].content[1].image_url.url: the data is not a valid jpeg image");
    const large = await image(400, 400, "png", true);
    expect(await detail(await chat([ask(large)]))).toBe(
      `messages[0].content[1].image_url.url: inline image too large (${large.length - "data:image/png;base64,".length} bytes of base64; limit 180000); upload it as an asset instead`,
    );

    expect(await detail(await chat([{ role: "system", content: [{ type: "image_url", image_url: { url: png } }] }, ask(png)]))).toMatch(
      /^messages\[0\]\.content\[0\]: images are accepted only in messages with role user/,
    );
    expect(
      await detail(
        await chat([
          {
            role: "user",
            content: [
              { type: "image_url", image_url: { url: png } },
              { type: "image_url", image_url: { url: png } },
            ],
          },
        ]),
      ),
    ).toMatch(/accepts at most 1 image\(s\) per request, got 2/);
    expect(await detail(await chat([{ role: "system", content: "Be brief." }, ask(png)]))).toMatch(/does not accept a system message together with an image/);
  });

  it("text-only models refuse images with a 400 in each flavor's shape, and still take text parts", async () => {
    const png = await image(40, 30);
    const nim = await start();
    const refused = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages: [ask(png)] });
    expect(await refused.json()).toEqual({ status: 400, title: "Bad Request", detail: "messages[0].content[1]: model 'meta/llama-3.1-8b-instruct' does not accept image input" });

    const openai = await start({ flavor: "openai" });
    const local = await post(`${openai.url}/chat/completions`, { model: "llama3.1:8b", messages: [ask(png)] });
    expect(local.status).toBe(400);
    expect(await local.json()).toEqual({ error: { message: "messages[0].content[1]: model 'llama3.1:8b' does not accept image input", type: "invalid_request_error", code: null } });

    const parts = PROMPT_EN.map((m) => ({ role: m.role, content: [{ type: "text", text: m.content }] }));
    const text = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages: parts });
    expect(((await text.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("The Spree river runs through Berlin. [2]");
  });
});

describe("ranking", () => {
  it("ranks passages by lexical overlap on both the self-hosted and the hosted path", async () => {
    const nim = await start();
    const body = {
      model: "nvidia/llama-3.2-nv-rerankqa-1b-v2",
      query: { text: "Which river runs through Berlin?" },
      passages: [{ text: "Bananas are yellow." }, { text: "The Spree river runs through Berlin." }, { text: "Berlin is a city." }],
    };
    for (const path of ["/v1/ranking", "/v1/retrieval/nvidia/llama-3_2-nv-rerankqa-1b-v2/reranking"]) {
      const res = await post(`${nim.origin}${path}`, body);
      expect(res.status).toBe(200);
      const { rankings } = (await res.json()) as { rankings: { index: number; logit: number }[] };
      expect(rankings.map((r) => r.index)).toEqual([1, 2, 0]);
      expect(rankings[0]!.logit).toBeGreaterThan(rankings[1]!.logit);
    }
    expect((await post(`${nim.origin}/v1/retrieval/nvidia/no-such-ranker/reranking`, body)).status).toBe(404);
  });
});

describe("faults", () => {
  it("sends an error event inside a 200 stream after N chunks, without [DONE]", async () => {
    const nim = await start();
    nim.inject({ type: "stream-error", afterChunks: 3 }, { route: "chat" });
    const res = await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages: PROMPT_EN, stream: true });
    expect(res.status).toBe(200);
    const all = await events(res);
    expect(all).toHaveLength(4);
    expect(all).not.toContain("[DONE]");
    expect(all.at(-1)).toEqual({ error: { object: "error", message: expect.any(String), type: "internal_error" } });
  });

  it("defers a NIM answer behind 202 + NVCF-REQID and serves it after the polls", async () => {
    const nim = await start();
    nim.inject({ type: "accepted", polls: 2 });
    const first = await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["poll me"] });
    expect(first.status).toBe(202);
    expect(await first.text()).toBe("");
    const id = first.headers.get("nvcf-reqid")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get(`${nim.statusUrl}/${id}`)).status).toBe(202);
    expect((await get(`${nim.statusUrl}/${id}`, null)).status).toBe(401);
    expect((await get(`${nim.statusUrl}/${id}`)).status).toBe(202);
    const done = await get(`${nim.statusUrl}/${id}`);
    expect(done.status).toBe(200);
    const body = (await done.json()) as { data: { embedding: number[] }[] };
    expect(body.data[0]!.embedding).toEqual(fakeEmbedding("poll me"));
    expect((await get(`${nim.statusUrl}/${id}`)).status).toBe(404);
  });

  it("rate-limits after rpmLimit requests in the window, without Retry-After; 429s do not count", async () => {
    const nim = await start({ rpmLimit: 2 });
    const call = () => post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expect((await get(`${nim.url}/models`)).status).toBe(200); // not counted
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeNull();
    expect(await limited.json()).toEqual({ status: 429, title: "Too Many Requests" });
    expect(nim.requests.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    nim.set({ rpmLimit: 3 });
    expect((await call()).status).toBe(200); // the 429 did not enter the window
    nim.reset();
    expect(nim.requests).toEqual([]);
    expect((await call()).status).toBe(200);

    const qiniu = await start({ flavor: "qiniu", rpmLimit: 1 });
    const chat = () => post(`${qiniu.url}/chat/completions`, { model: "qwen-turbo", messages: PROMPT_EN });
    expect((await chat()).status).toBe(200);
    const q = await chat();
    expect(q.status).toBe(429);
    expect(await q.json()).toEqual({ error: { message: "rate limit exceeded", type: "rate_limit_error" } });
  });

  it("applies queued faults FIFO per route, `times` times each, and records their status", async () => {
    const nim = await start();
    nim.inject({ type: "rate-limit", retryAfterSeconds: 2 }, { route: "embeddings", times: 2 });
    nim.inject({ type: "server-error", status: 502 }, { route: "embeddings" });
    nim.inject({ type: "quota" }, { route: "chat" });
    nim.inject({ type: "status", status: 418, body: "teapot", headers: { "x-fault": "yes" } });
    const embed = () => post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] });

    const models = await get(`${nim.url}/models`); // takes the "any" fault, not the embeddings ones
    expect(models.status).toBe(418);
    expect(models.headers.get("x-fault")).toBe("yes");
    expect(await models.text()).toBe("teapot");
    const limited = await embed();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect((await embed()).status).toBe(429);
    const bad = await embed();
    expect(bad.status).toBe(502);
    expect(await bad.json()).toMatchObject({ status: 502, title: "Bad Gateway" });
    expect((await embed()).status).toBe(200);
    expect((await post(`${nim.url}/chat/completions`, { model: "meta/llama-3.1-8b-instruct", messages: PROMPT_EN })).status).toBe(402);
    expect(nim.requests.map((r) => r.status)).toEqual([418, 429, 429, 502, 200, 402]);

    nim.inject({ type: "unknown-model" });
    nim.inject({ type: "server-error" });
    nim.clearFaults();
    expect((await embed()).status).toBe(200);
  });

  it("unknown-model fault uses the flavor's body", async () => {
    const qiniu = await start({ flavor: "qiniu" });
    qiniu.inject({ type: "unknown-model" });
    const res = await post(`${qiniu.url}/chat/completions`, { model: "qwen-turbo", messages: PROMPT_EN });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { message: "the price of the model is not set (model: qwen-turbo)", type: "quota_exceeded_error" },
    });
  });

  it("drop resets the connection: fetch rejects and the request is recorded with status 0", async () => {
    const nim = await start();
    nim.inject({ type: "drop" });
    await expect(post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] })).rejects.toThrow(TypeError);
    expect(nim.requests).toHaveLength(1);
    expect(nim.requests[0]!.status).toBe(0);
    expect((await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] })).status).toBe(200);
  });

  it("hang delays the normal answer long enough to trip a client timeout", async () => {
    const nim = await start();
    nim.inject({ type: "hang", ms: 10_000 });
    const timedOut = post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] }, { signal: AbortSignal.timeout(100) });
    await expect(timedOut).rejects.toThrow(/timeout|aborted/i);

    nim.inject({ type: "hang", ms: 150 });
    const started = Date.now();
    const slow = await post(`${nim.url}/embeddings`, { model: "baai/bge-m3", input: ["x"] });
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("adds latencyMs to every response", async () => {
    const nim = await start({ latencyMs: 120 });
    const started = Date.now();
    expect((await get(`${nim.url}/models`, null)).status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});
