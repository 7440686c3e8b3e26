import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder } from "../../src/providers/embed.js";
import { EMBED_MODELS } from "../../src/providers/embed-models.js";
import { ProviderError } from "../../src/providers/provider-error.js";
import { type FakeProvider, fakeEmbedding, startFakeProvider } from "../fake-provider/index.js";
import { fakeTransport, sent } from "./helpers.js";

const e5 = EMBED_MODELS["nvidia/nv-embedqa-e5-v5"];
const bge = EMBED_MODELS["baai/bge-m3"];
const texts = Array.from({ length: 12 }, (_, i) => `Passage number ${i} about rivers and cities ${i * 7}.`);

function cosine(a: ArrayLike<number>, b: ArrayLike<number>) {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

describe("embeddings", () => {
  let nim: FakeProvider;
  let selfHosted: FakeProvider;
  beforeAll(async () => {
    [nim, selfHosted] = await Promise.all([startFakeProvider({ flavor: "nim" }), startFakeProvider({ flavor: "openai" })]);
  });
  afterEach(() => {
    nim.reset();
    selfHosted.reset();
    nim.set({ maxBatch: undefined });
  });
  afterAll(async () => {
    await Promise.all([nim.close(), selfHosted.close()]);
  });

  it("batches, orders results by index and returns 1024-dim vectors matching each input", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: e5, batchSize: 5 });
    const vectors = await embedder.embed(texts, "passage");
    expect(sent(nim, "/embeddings").map((r) => (r.body as { input: string[] }).input.length)).toEqual([5, 5, 2]);
    expect(vectors).toHaveLength(12);
    vectors.forEach((v, i) => {
      expect(v).toHaveLength(1024);
      // The fake answers out of order; sorting by index puts each vector with its text.
      expect(cosine(v, fakeEmbedding(texts[i]!))).toBeCloseTo(1, 5);
    });
  });

  it("halves the batch when the server says it is too large, and keeps the smaller size", async () => {
    nim.set({ maxBatch: 4 });
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: e5, batchSize: 16 });
    const vectors = await embedder.embed(texts, "passage");
    expect(vectors).toHaveLength(12);
    const sizes = sent(nim, "/embeddings").map((r) => [(r.body as { input: string[] }).input.length, r.status]);
    expect(sizes).toEqual([
      [12, 413],
      [6, 413],
      [3, 200],
      [3, 200],
      [3, 200],
      [3, 200],
    ]);
    expect(embedder.stats().batchSize).toBe(3);
  });

  it("field mode sends input_type (passage at ingest, query for questions) and truncate END to NIM e5", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: e5, inputTypeMode: "field" });
    await embedder.embed(["a document"], "passage");
    await embedder.embed(["a question?"], "query");
    const [passage, query] = sent(nim, "/embeddings").map((r) => r.body);
    expect(passage).toEqual({ model: e5.id, input: ["a document"], encoding_format: "base64", truncate: "END", input_type: "passage" });
    expect(query).toMatchObject({ input_type: "query", input: ["a question?"] });
  });

  it("NIM's base64 vectors decode to the same values the self-hosted floats carry", async () => {
    const texts = ["潮汐表 tide table", "a document about berths"];
    const [viaBase64, viaFloats] = await Promise.all([
      createEmbedder({ transport: fakeTransport(nim), profile: e5, inputTypeMode: "field" }).embed(texts, "passage"),
      createEmbedder({ transport: fakeTransport(selfHosted), profile: e5, inputTypeMode: "none" }).embed(texts, "passage"),
    ]);
    expect(viaBase64.map((v) => v.length)).toEqual([e5.dims, e5.dims]);
    expect(viaBase64.map((v) => Array.from(v))).toEqual(viaFloats.map((v) => Array.from(v)));
    expect(Array.from(viaBase64[0]!)).toEqual(fakeEmbedding(texts[0]!));
  });

  it("never sends input_type to a symmetric model (NIM rejects fields a model does not take)", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: bge, inputTypeMode: "field" });
    await embedder.embed(["你好，世界"], "query");
    expect(sent(nim, "/embeddings")[0]!.body).not.toHaveProperty("input_type");
  });

  it("prefix mode prepends query:/passage: for servers that ignore input_type, and sends no NIM fields", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(selfHosted), profile: e5, inputTypeMode: "prefix" });
    await embedder.embed(["a document"], "passage");
    await embedder.embed(["a question?"], "query");
    const [passage, query] = sent(selfHosted, "/embeddings").map((r) => r.body);
    expect(passage).toEqual({ model: e5.id, input: ["passage: a document"], encoding_format: "float" });
    expect(query).toEqual({ model: e5.id, input: ["query: a question?"], encoding_format: "float" });
  });

  it("none mode sends the text alone", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(selfHosted), profile: e5, inputTypeMode: "none" });
    await embedder.embed(["a document"], "passage");
    expect(sent(selfHosted, "/embeddings")[0]!.body).toEqual({ model: e5.id, input: ["a document"], encoding_format: "float" });
  });

  it("counts inputs the server had to truncate", async () => {
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: e5, countTokens: (t) => t.split(/\s+/).length });
    await embedder.embed(["short text", "word ".repeat(600)], "passage");
    expect(embedder.stats().truncated).toBe(1);
  });

  it("rejects vectors of the wrong dimension with a message naming the model", async () => {
    nim.inject({ type: "status", status: 200, body: { object: "list", data: [{ object: "embedding", index: 0, embedding: new Array(768).fill(0.01) }] } }, { route: "embeddings" });
    const embedder = createEmbedder({ transport: fakeTransport(nim), profile: e5 });
    const error = await embedder.embed(["x"], "query").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain("nvidia/nv-embedqa-e5-v5");
    expect((error as Error).message).toContain("768");
  });
});
