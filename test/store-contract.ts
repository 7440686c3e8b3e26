/**
 * The store contract suite: the rules of src/store/vector-store.ts, run against every
 * implementation (LanceDB, the in-memory store, and the Workers store over D1 and a
 * Vectorize stand-in). A backend passes by behaviour, never by shape: each test writes
 * through the contract and reads back through it. `settle` lets a backend whose index
 * catches up later (readsOwnWrites false) say when its writes are searchable.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidRequestError, ModelMismatchError, NotFoundError } from "../src/errors.js";
import type { ChunkRecord, Collection, VectorStore } from "../src/store/vector-store.js";

export interface StoreUnderTest {
  store: VectorStore;
  /** Waits until earlier writes are visible to searches (default: nothing to wait for). */
  settle?: () => Promise<void>;
  /** Removes whatever the store left behind (temp folders, databases). */
  cleanup?: () => Promise<void>;
}

const E5 = "nvidia/nv-embedqa-e5-v5";
const BGE = "baai/bge-m3";
const DIMS = 8;

/** A one-hot vector with a small tail, so no two test vectors are parallel. */
export function basis(dims: number, axis: number, tail = 0.01): Float32Array {
  const vector = new Float32Array(dims).fill(tail);
  vector[axis % dims] = 1;
  return vector;
}

export function chunk(documentId: string, chunkIndex: number, vector: Float32Array | number[] | null, extra: Partial<ChunkRecord> = {}): ChunkRecord {
  return {
    id: `${documentId}:${chunkIndex}`,
    documentId,
    source: `docs/${documentId}.md`,
    title: `Title of ${documentId}`,
    page: chunkIndex + 1,
    pageEnd: null,
    heading: "",
    chunkIndex,
    text: `chunk ${chunkIndex} of ${documentId}`,
    contentHash: `hash-${documentId}`,
    vector,
    ingestedAt: 1_700_000_000_000,
    ...extra,
  };
}

function document(documentId: string, count: number, extra: Partial<ChunkRecord> = {}): ChunkRecord[] {
  return Array.from({ length: count }, (_, i) => chunk(documentId, i, basis(DIMS, i + documentId.length), extra));
}

export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: VectorStore;
    const settle = () => subject.settle?.() ?? Promise.resolve();
    const docs = () => store.openCollection("docs", { embedModel: E5, dims: DIMS });

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup?.();
    });

    it("declares its capabilities", () => {
      const { capabilities } = store;
      expect(typeof capabilities.keywordSearch).toBe("boolean");
      expect(typeof capabilities.segmentsChinese).toBe("boolean");
      expect(typeof capabilities.readsOwnWrites).toBe("boolean");
      expect(Number.isInteger(capabilities.maxTopK) && capabilities.maxTopK >= 20).toBe(true);
    });

    it("writes several whole documents in one call, lists, gets and counts them", async () => {
      const collection = await docs();
      await collection.writeDocuments([
        { documentId: "zeta", chunks: document("zeta", 3, { source: "a/zeta.md", ingestedAt: 1_000 }) },
        { documentId: "alpha", chunks: document("alpha", 1, { source: "b/alpha.pdf", title: "Alpha", ingestedAt: 2_000 }) },
        {
          documentId: "mid",
          chunks: [chunk("mid", 0, null, { source: "a/mid.md", contentHash: "h-mid", ingestedAt: 3_000 }), chunk("mid", 1, basis(DIMS, 1), { source: "a/mid.md", contentHash: "h-mid", ingestedAt: 3_000 })],
        },
      ]);
      expect(await collection.count()).toBe(6);
      expect(await collection.listDocuments()).toEqual([
        { documentId: "mid", source: "a/mid.md", title: "Title of mid", contentHash: "h-mid", chunks: 2, embedded: 1, ingestedAt: 3_000 },
        { documentId: "zeta", source: "a/zeta.md", title: "Title of zeta", contentHash: "hash-zeta", chunks: 3, embedded: 3, ingestedAt: 1_000 },
        { documentId: "alpha", source: "b/alpha.pdf", title: "Alpha", contentHash: "hash-alpha", chunks: 1, embedded: 1, ingestedAt: 2_000 },
      ]);
      expect(await collection.getDocument("alpha")).toMatchObject({ documentId: "alpha", chunks: 1 });
      expect(await collection.getDocument("missing")).toBeUndefined();
    });

    it("round-trips every stored field, including null pages and Chinese text", async () => {
      const collection = await docs();
      const record = chunk("zh", 0, basis(DIMS, 3), { title: "茶的简史", heading: "起源 > 唐代", text: "陆羽著《茶经》，系统总结了种茶、制茶和饮茶的方法。", page: null, pageEnd: null, source: "资料/茶.md" });
      const paged = chunk("zh", 1, basis(DIMS, 4), { page: 3, pageEnd: 5 });
      await collection.writeDocuments([{ documentId: "zh", chunks: [record, paged] }]);
      await settle();
      const hits = await collection.vectorSearch(basis(DIMS, 3), { topK: 2 });
      const { vector: _vector, ...stored } = record;
      expect(hits[0]).toMatchObject(stored);
      expect(hits[1]).toMatchObject({ id: "zh:1", page: 3, pageEnd: 5 });
      for (const hit of hits) expect(hit).not.toHaveProperty("vector");
    });

    it("replaces a document whole: stale chunks go, other documents stay; no chunks removes it", async () => {
      const collection = await docs();
      await collection.writeDocuments([
        { documentId: "a", chunks: document("a", 4) },
        { documentId: "b", chunks: document("b", 2) },
      ]);
      await collection.writeDocuments([{ documentId: "a", chunks: document("a", 2, { contentHash: "v2" }) }]);
      expect(await collection.getDocument("a")).toMatchObject({ chunks: 2, contentHash: "v2" });
      expect(await collection.getDocument("b")).toMatchObject({ chunks: 2 });
      expect(await collection.count()).toBe(4);
      await collection.writeDocuments([{ documentId: "a", chunks: [] }]);
      expect(await collection.getDocument("a")).toBeUndefined();
      expect(await collection.count()).toBe(2);
      await settle();
      expect((await collection.vectorSearch(basis(DIMS, 0), { topK: 10 })).map((h) => h.documentId)).toEqual(["b", "b"]);
    });

    it("refuses a bad write before writing any of it", async () => {
      const collection = await docs();
      await collection.writeDocuments([{ documentId: "a", chunks: document("a", 2) }]);
      const attempts: [ChunkRecord[], RegExp][] = [
        [[chunk("a", 0, basis(DIMS, 0)), chunk("a", 1, new Float32Array(DIMS - 1))], /chunks\[1\]\.vector to have 8 dimensions.*got 7/],
        [[chunk("a", 0, basis(DIMS, 0).fill(Number.NaN))], /finite/],
        [[chunk("b", 0, basis(DIMS, 0))], /documentId to be `a`/],
        [[{ ...chunk("a", 0, basis(DIMS, 0)), id: "a-0" }], /id to be `a:0`/],
        [[chunk("a", 0, basis(DIMS, 0)), chunk("a", 0, basis(DIMS, 1))], /Duplicate chunk id/],
      ];
      for (const [chunks, message] of attempts) {
        // The good document in the same call is not written either.
        const call = collection.writeDocuments([
          { documentId: "c", chunks: document("c", 1) },
          { documentId: "a", chunks },
        ]);
        await expect(call).rejects.toThrow(InvalidRequestError);
        await expect(call).rejects.toThrow(message);
      }
      await expect(
        collection.writeDocuments([
          { documentId: "c", chunks: [] },
          { documentId: "c", chunks: [] },
        ]),
      ).rejects.toThrow(/Duplicate document id/);
      expect(await collection.listDocuments()).toEqual([expect.objectContaining({ documentId: "a", chunks: 2 })]);
    });

    it("deletes a document and reports whether it existed", async () => {
      const collection = await docs();
      await collection.writeDocuments([
        { documentId: "a", chunks: document("a", 3) },
        { documentId: "b", chunks: document("b", 2) },
      ]);
      expect(await collection.deleteDocument("a")).toBe(true);
      expect(await collection.deleteDocument("a")).toBe(false);
      expect(await collection.deleteDocument("never")).toBe(false);
      expect((await collection.listDocuments()).map((d) => d.documentId)).toEqual(["b"]);
      expect(await collection.count()).toBe(2);
    });

    it("ranks by cosine similarity, best first, filters by document and source, and never returns unembedded chunks", async () => {
      const collection = await docs();
      await collection.writeDocuments([
        { documentId: "a", chunks: [0, 1, 2, 3].map((i) => chunk("a", i, basis(DIMS, i))) },
        { documentId: "b", chunks: [chunk("b", 0, basis(DIMS, 4), { source: "other/b.md" }), chunk("b", 1, basis(DIMS, 5), { source: "other/b.md" }), chunk("b", 2, null, { source: "other/b.md" })] },
      ]);
      await settle();
      // A scaled copy of a:2's vector: cosine ignores length.
      const target = basis(DIMS, 2).map((x) => x * 5);
      const hits = await collection.vectorSearch(target, { topK: 3 });
      expect(hits.map((h) => h.id)[0]).toBe("a:2");
      expect(hits[0]!.score).toBeCloseTo(1, 4);
      expect(hits[1]!.score).toBeLessThan(0.5);
      expect(hits).toHaveLength(3);
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((x, y) => y - x));
      expect((await collection.vectorSearch(target, { topK: 20 })).map((h) => h.id)).not.toContain("b:2");
      expect((await collection.vectorSearch(target, { topK: 10, documentIds: ["b"] })).map((h) => h.id).sort()).toEqual(["b:0", "b:1"]);
      expect((await collection.vectorSearch(target, { topK: 10, sources: ["other/b.md"] })).map((h) => h.id).sort()).toEqual(["b:0", "b:1"]);
      expect((await collection.vectorSearch(target, { topK: 10, documentIds: ["a", "b"], sources: ["docs/a.md"] })).map((h) => h.documentId)).toEqual(["a", "a", "a", "a"]);
      expect(await collection.vectorSearch(target, { topK: 10, documentIds: ["a"], sources: ["other/b.md"] })).toEqual([]);
      expect(await collection.vectorSearch(target, { topK: 10, documentIds: [] })).toEqual([]);
      await expect(collection.vectorSearch(target, { topK: 0 })).rejects.toThrow(InvalidRequestError);
      await expect(collection.vectorSearch(target, { topK: store.capabilities.maxTopK + 1 })).rejects.toThrow(InvalidRequestError);
      await expect(collection.vectorSearch(new Float32Array(DIMS + 1), { topK: 1 })).rejects.toThrow(/8 dimensions.*got 9/);
    });

    it("quotes document ids and sources safely in every filter", async () => {
      const collection = await docs();
      const quoted = `o'brien's "notes" \\' -- ;`;
      const injection = `x' OR '1'='1`;
      await collection.writeDocuments([
        { documentId: quoted, chunks: document(quoted, 3, { source: `it's/${quoted}.md` }) },
        { documentId: injection, chunks: document(injection, 2) },
      ]);
      await settle();
      expect(await collection.getDocument(quoted)).toMatchObject({ documentId: quoted, chunks: 3 });
      expect((await collection.vectorSearch(basis(DIMS, 1), { topK: 10, documentIds: [quoted] })).map((h) => h.documentId)).toEqual([quoted, quoted, quoted]);
      expect(await collection.vectorSearch(basis(DIMS, 1), { topK: 10, sources: [`it's/${quoted}.md`] })).toHaveLength(3);
      expect(await collection.keywordSearch("chunk", { topK: 10, documentIds: [injection] })).toHaveLength(store.capabilities.keywordSearch ? 2 : 0);
      expect(await collection.deleteDocument(injection)).toBe(true);
      expect(await collection.getDocument(quoted)).toMatchObject({ chunks: 3 });
    });

    it("finds English and Chinese words by keyword, best match first, and reads query syntax as plain words", async (context) => {
      if (!store.capabilities.keywordSearch) return context.skip();
      const collection = await docs();
      const texts = [
        "Tide pools form on rocky shores where the sea retreats twice a day.",
        "Lighthouses guided ships along the rocky coast for centuries.",
        "Anemones and limpets live in tide pools; tide pools hold water at low tide.",
        "陆羽著《茶经》，系统总结了种茶、制茶和饮茶的方法。",
        "唐代饮茶之风盛行，茶叶贸易兴旺。",
      ];
      await collection.writeDocuments([{ documentId: "k", chunks: texts.map((text, i) => chunk("k", i, basis(DIMS, i), { text })) }]);
      await settle();
      const tide = await collection.keywordSearch("tide pools", { topK: 5 });
      expect(tide.map((h) => h.id).slice(0, 2)).toEqual(["k:2", "k:0"]);
      expect(tide[0]!.score).toBeGreaterThan(tide[1]!.score);
      expect((await collection.keywordSearch("lighthouses", { topK: 5 })).map((h) => h.id)).toEqual(["k:1"]);
      expect((await collection.keywordSearch("茶经", { topK: 5 }))[0]?.id).toBe("k:3");
      expect((await collection.keywordSearch("茶叶贸易", { topK: 5 }))[0]?.id).toBe("k:4");
      for (const hostile of ['"tide', "tide AND (pools", "sea:retreats^2 -x *", "'; DROP TABLE chunks; --"]) {
        await expect(collection.keywordSearch(hostile, { topK: 5 })).resolves.toBeInstanceOf(Array);
      }
      expect(await collection.keywordSearch("   ", { topK: 5 })).toEqual([]);
      expect(await collection.keywordSearch("tide", { topK: 5, sources: ["nowhere.md"] })).toEqual([]);
      expect(await collection.keywordSearch("zzyzx", { topK: 5 })).toEqual([]);
    });

    it("keeps each collection's embedding model and refuses another", async () => {
      const collection = await docs();
      await collection.writeDocuments([{ documentId: "a", chunks: document("a", 1) }]);
      const mismatch = store.openCollection("docs", { embedModel: BGE, dims: DIMS });
      await expect(mismatch).rejects.toThrow(ModelMismatchError);
      await expect(mismatch).rejects.toThrow(/nv-embedqa-e5-v5.*bge-m3/s);
      await expect(store.openCollection("docs", { embedModel: E5, dims: 16 })).rejects.toThrow(ModelMismatchError);
      const existing = await store.openExistingCollection("docs");
      expect([existing.embedModel, existing.dims]).toEqual([E5, DIMS]);
      expect(await existing.count()).toBe(1);
    });

    it("lists collections with model, dims and counts, and drops them", async () => {
      const alpha = await store.openCollection("alpha", { embedModel: E5, dims: DIMS });
      await alpha.writeDocuments([
        { documentId: "a", chunks: document("a", 3) },
        { documentId: "b", chunks: document("b", 2) },
      ]);
      await store.openCollection("beta", { embedModel: BGE, dims: 16 });
      expect(await store.listCollections()).toEqual([
        { name: "alpha", embedModel: E5, dims: DIMS, documents: 2, chunks: 5 },
        { name: "beta", embedModel: BGE, dims: 16, documents: 0, chunks: 0 },
      ]);
      expect(await store.dropCollection("beta")).toBe(true);
      expect(await store.dropCollection("beta")).toBe(false);
      expect((await store.listCollections()).map((c) => c.name)).toEqual(["alpha"]);
      await expect(store.openCollection("beta", { embedModel: BGE, dims: 16, create: false })).rejects.toThrow(NotFoundError);
      // Once dropped, the name is free for another model.
      expect(await (await store.openCollection("beta", { embedModel: E5, dims: DIMS })).count()).toBe(0);
    });

    it("validates collection names and refuses to create when told not to", async () => {
      for (const bad of ["", "../escape", "has space", "-leading", "x".repeat(65)]) {
        await expect(store.openCollection(bad, { embedModel: E5, dims: DIMS })).rejects.toThrow(/Invalid collection name.*letters, digits/);
      }
      await expect(store.dropCollection("a/b")).rejects.toThrow(InvalidRequestError);
      await expect(store.openCollection("missing", { embedModel: E5, dims: DIMS, create: false })).rejects.toThrow(NotFoundError);
      await expect(store.openExistingCollection("missing")).rejects.toThrow(NotFoundError);
      expect(await store.listCollections()).toEqual([]);
    });

    it("keeps search results through upkeep, where the backend has it", async () => {
      const collection: Collection = await docs();
      await collection.writeDocuments([
        { documentId: "a", chunks: document("a", 4) },
        { documentId: "b", chunks: document("b", 3) },
      ]);
      await settle();
      const before = await collection.vectorSearch(basis(DIMS, 2), { topK: 5 });
      const keyword = store.capabilities.keywordSearch ? await collection.keywordSearch("chunk 2", { topK: 10 }) : [];
      await collection.upkeep?.();
      expect(await collection.vectorSearch(basis(DIMS, 2), { topK: 5 })).toEqual(before);
      // As sets: equal BM25 scores may tie-break differently once the index is built.
      if (store.capabilities.keywordSearch) expect((await collection.keywordSearch("chunk 2", { topK: 10 })).map((h) => h.id).sort()).toEqual(keyword.map((h) => h.id).sort());
    });
  });
}
