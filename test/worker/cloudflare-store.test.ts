/**
 * The Cloudflare store in workerd beyond the shared contract (store-contract.test.ts):
 * D1 (Miniflare's SQLite, FTS5) for real, Vectorize as the in-memory stand-in. Vector
 * scores equal to the exact store's, old vectors removed, Chinese two-character words,
 * Vectorize's limits, namespaces and ids, eventual visibility without ever showing two
 * versions of a document, and D1 as the source of truth when a write fails.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { D1Database } from "../../src/store/cloudflare-bindings.js";
import { createCloudflareStore } from "../../src/store/cloudflare-store.js";
import { createMemoryStore } from "../../src/store/memory-store.js";
import type { ChunkRecord, VectorStore } from "../../src/store/vector-store.js";
import { fakeEmbedding } from "../fake-provider/vectors.js";
import { chunkRecords } from "../helpers/chunk-records.js";
import { createFakeVectorize, type FakeVectorize } from "./fake-vectorize.js";

const MODEL = { embedModel: "nvidia/nv-embedqa-e5-v5", dims: 1024 };

/** This suite's documents live under `docs/`. */
const chunks = (documentId: string, texts: string[], options: { withVectors?: boolean; hash?: string } = {}): ChunkRecord[] => chunkRecords(documentId, texts, { source: `docs/${documentId}.md`, ...options });

const TIDES = ["Tide pools form where the sea retreats at low tide, leaving rocky basins of water.", "Sea stars and anemones live in tide pools and survive the heat of the day."];
const LIGHTHOUSE = ["The lighthouse keeper climbed the spiral stairs each evening to light the lamp.", "Fresnel lenses let a small lamp be seen from far out at sea."];
const CHINESE = ["北京大学的学生在图书馆学习中文和历史。", "长城是中国古代的军事防御工程，绵延数千公里。"];

let vectors: FakeVectorize;
let store: VectorStore;

beforeEach(async () => {
  // Each test starts from empty tables (storage is per file, not per test).
  await env.DB.batch([env.DB.prepare("DELETE FROM chunks"), env.DB.prepare("DELETE FROM collections")]);
  vectors = createFakeVectorize({ dimensions: 1024, metadataIndexes: ["documentId"] });
  store = createCloudflareStore({ db: env.DB, vectors });
});

describe("createCloudflareStore", () => {
  it("declares what it can do: keyword search, Chinese words, top-k at most 100, no read-your-writes", () => {
    expect(store.capabilities).toEqual({ keywordSearch: true, segmentsChinese: true, maxTopK: 100, readsOwnWrites: false });
  });

  it("writes whole documents, lists, counts and replaces them", async () => {
    const docs = await store.openCollection("docs", MODEL);
    await docs.writeDocuments([
      { documentId: "tides", chunks: chunks("tides", TIDES) },
      { documentId: "light", chunks: chunks("light", LIGHTHOUSE, { withVectors: false }) },
    ]);
    expect(await docs.count()).toBe(4);
    expect(await docs.listDocuments()).toEqual([
      { documentId: "light", source: "docs/light.md", title: "light", contentHash: "hash-of-light", chunks: 2, embedded: 0, ingestedAt: 1_700_000_000_000 },
      { documentId: "tides", source: "docs/tides.md", title: "tides", contentHash: "hash-of-tides", chunks: 2, embedded: 2, ingestedAt: 1_700_000_000_000 },
    ]);
    expect(vectors.size()).toBe(2);

    await docs.writeDocuments([{ documentId: "tides", chunks: chunks("tides", [TIDES[0]!], { hash: "v2" }) }]);
    expect(await docs.getDocument("tides")).toMatchObject({ chunks: 1, contentHash: "v2" });
    expect(vectors.size()).toBe(1); // the old version's vectors are gone
    expect(await store.listCollections()).toEqual([{ name: "docs", ...MODEL, documents: 2, chunks: 3 }]);

    expect(await docs.deleteDocument("tides")).toBe(true);
    expect(await docs.deleteDocument("tides")).toBe(false);
    expect(vectors.size()).toBe(0);
    expect(await docs.getDocument("tides")).toBeUndefined();
  });

  it("finds the same chunks with the same cosine scores as the exact in-memory store", async () => {
    const memory = createMemoryStore();
    const texts = [...TIDES, ...LIGHTHOUSE, ...CHINESE];
    for (const s of [store, memory]) {
      const col = await s.openCollection("docs", MODEL);
      await col.writeDocuments([{ documentId: "all", chunks: chunks("all", texts) }]);
    }
    const query = fakeEmbedding("where do sea stars live at low tide");
    const got = await (await store.openCollection("docs", MODEL)).vectorSearch(query, { topK: 4 });
    const want = await (await memory.openCollection("docs", MODEL)).vectorSearch(query, { topK: 4 });
    expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
    for (const [i, hit] of got.entries()) expect(hit.score).toBeCloseTo(want[i]!.score, 5);
    expect(got[0]).toMatchObject({ text: TIDES[1], source: "docs/all.md", chunkIndex: 1 });
  });

  it("keyword search ranks by BM25 and finds Chinese words, not only English ones", async () => {
    const docs = await store.openCollection("docs", MODEL);
    await docs.writeDocuments([
      { documentId: "tides", chunks: chunks("tides", TIDES) },
      { documentId: "light", chunks: chunks("light", LIGHTHOUSE) },
      { documentId: "zh", chunks: chunks("zh", CHINESE) },
    ]);
    const lamp = await docs.keywordSearch("lamp keeper", { topK: 3 });
    expect(lamp[0]!.id).toBe("light:0");
    expect(lamp.every((h) => h.documentId === "light" && h.score > 0)).toBe(true);
    // Two-character words: a trigram index could not match them.
    expect((await docs.keywordSearch("图书馆 学生", { topK: 3 })).map((h) => h.id)).toEqual(["zh:0"]);
    expect((await docs.keywordSearch("长城", { topK: 3 })).map((h) => h.id)).toEqual(["zh:1"]);
    // Query syntax is plain text: quotes, operators and stray punctuation match as words or not at all.
    expect(await docs.keywordSearch('"NEAR( OR * -', { topK: 3 })).toEqual([]);
    expect((await docs.keywordSearch('lamp" OR "sea', { topK: 5 })).length).toBeGreaterThan(0);
  });

  it("keeps collections apart: one Vectorize namespace each, ids within 64 bytes", async () => {
    const a = await store.openCollection("a", MODEL);
    const b = await store.openCollection("b".repeat(64), MODEL);
    await a.writeDocuments([{ documentId: "d", chunks: chunks("d", TIDES) }]);
    await b.writeDocuments([{ documentId: "d", chunks: chunks("d", LIGHTHOUSE) }]);
    const hits = await b.vectorSearch(fakeEmbedding(TIDES[0]!), { topK: 10 });
    expect(hits.map((h) => h.text).sort()).toEqual([...LIGHTHOUSE].sort());
    expect(await a.keywordSearch("lamp", { topK: 5 })).toEqual([]);
    expect(vectors.calls.query.at(-1)).toMatchObject({ namespace: "b".repeat(64), returnMetadata: "none" });
    expect(await store.dropCollection("a")).toBe(true);
    expect(await store.dropCollection("a")).toBe(false);
    expect(vectors.size()).toBe(2);
    expect((await store.listCollections()).map((c) => c.name)).toEqual(["b".repeat(64)]);
  });

  it("stays within Vectorize's limits: top-k at most 100, upserts of at most 1000 vectors", async () => {
    const small = createFakeVectorize({ dimensions: 4 });
    const s = createCloudflareStore({ db: env.DB, vectors: small });
    const docs = await s.openCollection("many", { embedModel: "tiny", dims: 4 });
    const many = Array.from({ length: 1500 }, (_, i) => ({ ...chunks("big", [`chunk ${i}`])[0]!, id: `big:${i}`, chunkIndex: i, vector: [1, i % 7, i % 3, 1] }));
    await docs.writeDocuments([{ documentId: "big", chunks: many }]);
    expect(small.calls.upsert).toEqual([1000, 500]);
    expect(await docs.vectorSearch([1, 0, 0, 1], { topK: 100 })).toHaveLength(100);
    expect(small.calls.query.at(-1)!.topK).toBeLessThanOrEqual(100);
    await expect(docs.vectorSearch([1, 0, 0, 1], { topK: 101 })).rejects.toMatchObject({ status: 400 });
    await expect(docs.keywordSearch("chunk", { topK: 101 })).rejects.toMatchObject({ status: 400 });
    await docs.deleteDocument("big");
    expect(small.calls.deleteByIds).toEqual([1000, 500]);
    expect(small.size()).toBe(0);
  });

  it("never shows two versions of a document while Vectorize catches up with a replace", async () => {
    const slow = createFakeVectorize({ dimensions: 1024, deferred: true });
    const s = createCloudflareStore({ db: env.DB, vectors: slow });
    const docs = await s.openCollection("docs", MODEL);
    await docs.writeDocuments([{ documentId: "tides", chunks: chunks("tides", TIDES) }]);
    const query = fakeEmbedding(TIDES[0]!);
    expect(await docs.vectorSearch(query, { topK: 5 })).toEqual([]); // not visible yet: readsOwnWrites is false
    expect((await docs.keywordSearch("tide", { topK: 5 })).length).toBe(2); // D1 is at once
    slow.flush();
    expect((await docs.vectorSearch(query, { topK: 5 })).map((h) => h.text)).toEqual([TIDES[0], TIDES[1]]);

    await docs.writeDocuments([{ documentId: "tides", chunks: chunks("tides", ["Rock pools hold small fish at low tide."], { hash: "v2" }) }]);
    // Old vectors still in the index, their rows gone; new vectors not visible yet: nothing, not a mix.
    expect(await docs.vectorSearch(query, { topK: 5 })).toEqual([]);
    slow.flush();
    expect((await docs.vectorSearch(query, { topK: 5 })).map((h) => h.contentHash)).toEqual(["v2"]);
  });

  it("keeps the old version when D1 fails mid-write, and removes the new vectors", async () => {
    const docs = await store.openCollection("docs", MODEL);
    await docs.writeDocuments([{ documentId: "tides", chunks: chunks("tides", TIDES) }]);
    const failing: D1Database = {
      prepare: (sql) => env.DB.prepare(sql),
      batch: async () => {
        throw new Error("D1_ERROR: simulated");
      },
    };
    const broken = await createCloudflareStore({ db: failing, vectors }).openCollection("docs", MODEL);
    await expect(broken.writeDocuments([{ documentId: "tides", chunks: chunks("tides", LIGHTHOUSE, { hash: "v2" }) }])).rejects.toThrow(/simulated/);
    expect(await docs.getDocument("tides")).toMatchObject({ contentHash: "hash-of-tides", chunks: 2 });
    expect(vectors.size()).toBe(2);
    expect((await docs.vectorSearch(fakeEmbedding(TIDES[0]!), { topK: 1 }))[0]!.text).toBe(TIDES[0]);
  });
});
