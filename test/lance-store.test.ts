import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connect } from "@lancedb/lancedb";
import { Field, Int32, Schema } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidRequestError, ModelMismatchError, NotFoundError } from "../src/errors.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { ChunkRecord, Collection, StoredChunk, VectorStore } from "../src/store/vector-store.js";
import { basis, chunk } from "./store-contract.js";

const E5 = "nvidia/nv-embedqa-e5-v5";
const BGE = "baai/bge-m3";

let dir: string;
let uri: string;
let stores: VectorStore[];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "askdocs-lance-"));
  // A directory that does not exist yet, like a fresh data/lancedb.
  uri = path.join(dir, "db");
  stores = [];
});

afterEach(async () => {
  for (const store of stores) await store.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function newStore(): Promise<VectorStore> {
  const store = await openLanceStore({ uri });
  stores.push(store);
  return store;
}

/** Deterministic pseudo-random vector (xorshift), for larger tables. */
function noise(dims: number, seed: number): Float32Array {
  let x = seed * 2654435761 + 1;
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    vector[i] = ((x >>> 0) % 2000) / 1000 - 1;
  }
  return vector;
}

function document(documentId: string, count: number, dims: number, extra: Partial<ChunkRecord> = {}): ChunkRecord[] {
  return Array.from({ length: count }, (_, i) => chunk(documentId, i, noise(dims, i + 1), extra));
}

/** The table's current version, read by a separate LanceDB connection. */
async function tableVersion(name: string): Promise<number> {
  const db = await connect(uri);
  try {
    const table = await db.openTable(name);
    const version = await table.version();
    table.close();
    return version;
  } finally {
    db.close();
  }
}

/** All chunk ids of a document, read straight from the table. */
async function idsOf(name: string, documentId: string): Promise<string[]> {
  const db = await connect(uri);
  try {
    const table = await db.openTable(name);
    const rows = await table.query().where(`document_id = '${documentId}'`).select(["id"]).toArray();
    table.close();
    return rows.map((row: { id: string }) => row.id).sort();
  } finally {
    db.close();
  }
}

function stored(record: ChunkRecord): StoredChunk {
  const { vector: _vector, ...rest } = record;
  return rest;
}

/** What only LanceDB shows: table versions, a reopen, foreign tables. The rules every store keeps are in store-contract.ts. */
describe("openLanceStore", () => {
  it("round-trips every field, including null pages and Chinese text, across a reopen", async () => {
    const dims = 8;
    const chunks = [
      chunk("中文-doc", 0, basis(dims, 0), {
        source: "docs/说明.md",
        title: "向量数据库简介",
        page: null,
        pageEnd: null,
        heading: "",
        text: "向量数据库让检索增强生成更简单。第二句。",
        contentHash: "sha256:abc",
        ingestedAt: 1_712_345_678_901,
      }),
      chunk("中文-doc", 1, Array.from(basis(dims, 1)), {
        source: "docs/说明.md",
        title: "向量数据库简介",
        page: 3,
        pageEnd: 4,
        heading: "简介 > 安装",
        text: "第二块：安装步骤。",
        contentHash: "sha256:abc",
        ingestedAt: 1_712_345_678_901,
      }),
    ];
    const first = await (await newStore()).openCollection("docs", { embedModel: E5, dims });
    await first.writeDocuments([{ documentId: "中文-doc", chunks: chunks }]);

    const collection = await (await newStore()).openCollection("docs", { embedModel: E5, dims, create: false });
    expect(await collection.getDocument("中文-doc")).toEqual({
      documentId: "中文-doc",
      source: "docs/说明.md",
      title: "向量数据库简介",
      contentHash: "sha256:abc",
      chunks: 2,
      embedded: 2,
      ingestedAt: 1_712_345_678_901,
    });
    const hits = await collection.vectorSearch(basis(dims, 0), { topK: 10 });
    expect(hits).toHaveLength(2);
    const byId = new Map(hits.map(({ score: _score, ...hit }) => [hit.id, hit]));
    expect(byId.get("中文-doc:0")).toEqual(stored(chunks[0]!));
    expect(byId.get("中文-doc:1")).toEqual(stored(chunks[1]!));
    for (const hit of hits) expect(hit).not.toHaveProperty("vector");
  });

  it("stores each row's own vector, and no vector where a row has none, across a multi-byte validity bitmap", async () => {
    const dims = 16;
    // Rows 0, 3, 6, … have no vector: nulls on both sides of every byte of the bitmap.
    const chunks = Array.from({ length: 21 }, (_, i) => chunk("mixed", i, i % 3 === 0 ? null : noise(dims, i + 1)));
    const collection = await (await newStore()).openCollection("mixed", { embedModel: E5, dims });
    await collection.writeDocuments([{ documentId: "mixed", chunks }]);
    expect((await collection.getDocument("mixed"))?.embedded).toBe(14);
    for (const i of [1, 2, 10, 20]) {
      const [best] = await collection.vectorSearch(noise(dims, i + 1), { topK: 1 });
      expect(best?.id).toBe(`mixed:${i}`);
      expect(best?.score).toBeCloseTo(1, 5);
    }
    const found = await collection.vectorSearch(noise(dims, 2), { topK: 21 });
    expect(found.map((h) => h.chunkIndex).sort((a, b) => a - b)).toEqual(chunks.filter((c) => c.vector !== null).map((c) => c.chunkIndex));
  });

  it("creates an empty collection before any data", async () => {
    const store = await newStore();
    const collection = await store.openCollection("empty", { embedModel: E5, dims: 8 });
    expect(collection).toMatchObject({ name: "empty", embedModel: E5, dims: 8 });
    expect(await collection.count()).toBe(0);
    expect(await collection.listDocuments()).toEqual([]);
    expect(await collection.getDocument("nothing")).toBeUndefined();
    expect(await collection.vectorSearch(basis(8, 0), { topK: 5 })).toEqual([]);
    expect(await store.listCollections()).toEqual([{ name: "empty", embedModel: E5, dims: 8, documents: 0, chunks: 0 }]);
  });

  it("replaces a document in exactly one new table version and removes its stale chunks", async () => {
    const dims = 8;
    const collection = await (await newStore()).openCollection("docs", { embedModel: E5, dims });
    await collection.writeDocuments([{ documentId: "a", chunks: document("a", 5, dims) }]);
    await collection.writeDocuments([{ documentId: "b", chunks: document("b", 2, dims) }]);
    const before = await tableVersion("docs");

    const replacement = document("a", 3, dims, { contentHash: "hash-a-v2", text: "new text" });
    await collection.writeDocuments([{ documentId: "a", chunks: replacement }]);

    expect(await tableVersion("docs")).toBe(before + 1);
    expect(await idsOf("docs", "a")).toEqual(["a:0", "a:1", "a:2"]);
    expect(await idsOf("docs", "b")).toEqual(["b:0", "b:1"]);
    expect(await collection.getDocument("a")).toMatchObject({ chunks: 3, contentHash: "hash-a-v2" });
    const hits = await collection.vectorSearch(noise(dims, 1), { topK: 10, documentIds: ["a"] });
    expect(hits.map((hit) => hit.text)).toEqual(["new text", "new text", "new text"]);

    // Replacing with no chunks is a delete, still one version.
    await collection.writeDocuments([{ documentId: "a", chunks: [] }]);
    expect(await tableVersion("docs")).toBe(before + 2);
    expect(await collection.getDocument("a")).toBeUndefined();
    expect(await collection.count()).toBe(2);
  });

  it("never lets a concurrent reader see part of a document while it is replaced (1024 dims)", async () => {
    const dims = 1024;
    const writer = await (await newStore()).openCollection("docs", { embedModel: E5, dims });
    const sameStoreReader = await (await newStore()).openCollection("docs", { embedModel: E5, dims });
    await writer.writeDocuments([{ documentId: "other", chunks: document("other", 3, dims) }]);
    await writer.writeDocuments([{ documentId: "big", chunks: document("big", 200, dims, { contentHash: "gen-start" }) }]);
    const sizes = [150, 200, 150, 200, 150, 200];
    const expected = new Map([["gen-start", 200], ...sizes.map((size, gen): [string, number] => [`gen-${gen}`, size])]);

    const observed: number[] = [];
    const mixes: string[] = [];
    let writing = true;
    const query = noise(dims, 7);
    async function readLoop(collection: Collection): Promise<void> {
      while (writing) {
        const hits = await collection.vectorSearch(query, { topK: 500, documentIds: ["big"] });
        observed.push(hits.length);
        // Every hit from one generation, and that generation complete.
        const generations = new Set(hits.map((hit) => hit.contentHash));
        const [generation] = generations;
        if (generations.size !== 1 || expected.get(generation!) !== hits.length) mixes.push([...generations].join(",") + `:${hits.length}`);
        const listed = (await collection.listDocuments()).find((doc) => doc.documentId === "big");
        observed.push(listed?.chunks ?? 0);
        observed.push((await collection.count()) - 3);
      }
    }
    const readers = [readLoop(writer), readLoop(sameStoreReader)];
    for (const [gen, size] of sizes.entries()) {
      await writer.writeDocuments([{ documentId: "big", chunks: document("big", size, dims, { contentHash: `gen-${gen}` }) }]);
    }
    writing = false;
    await Promise.all(readers);

    expect(observed.length).toBeGreaterThan(20);
    expect(new Set(observed)).toEqual(new Set(observed.filter((n) => n === 150 || n === 200)));
    expect(mixes).toEqual([]);
    expect(await sameStoreReader.getDocument("big")).toMatchObject({ chunks: 200, contentHash: "gen-5" });
  });

  it("refuses a collection built by another model or size, after reopening the store", async () => {
    const first = await newStore();
    const built = await first.openCollection("docs", { embedModel: E5, dims: 8 });
    await built.writeDocuments([{ documentId: "a", chunks: document("a", 2, 8) }]);
    // The same store refuses too, with its table handle cached.
    await expect(first.openCollection("docs", { embedModel: BGE, dims: 8 })).rejects.toThrow(ModelMismatchError);
    await first.close();

    const store = await newStore();
    const error = await store.openCollection("docs", { embedModel: BGE, dims: 8 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelMismatchError);
    expect(error).toMatchObject({ status: 409, code: "embedding_model_mismatch" });
    const message = (error as Error).message;
    expect(message).toContain(E5);
    expect(message).toContain(BGE);
    expect(message).toContain(`EMBED_MODEL=${E5}`);
    expect(message).toContain("re-ingest the documents into a new collection");

    await expect(store.openCollection("docs", { embedModel: E5, dims: 16 })).rejects.toThrow(/8 dimensions.*16 dimensions/);
    await expect(store.openCollection("docs", { embedModel: E5, dims: 16, create: false })).rejects.toThrow(ModelMismatchError);

    const reopened = await store.openCollection("docs", { embedModel: E5, dims: 8, create: false });
    expect(reopened).toMatchObject({ embedModel: E5, dims: 8 });
    expect(await reopened.count()).toBe(2);
  });

  it("checks every vector's length against the collection's dims before writing", async () => {
    const collection = await (await newStore()).openCollection("docs", { embedModel: E5, dims: 8 });
    const before = await tableVersion("docs");
    const bad = [chunk("a", 0, basis(8, 0)), chunk("a", 1, new Float32Array(7))];

    await expect(collection.writeDocuments([{ documentId: "a", chunks: bad }])).rejects.toThrow(/chunks\[1\]\.vector to have 8 dimensions.*got 7/);
    await expect(collection.writeDocuments([{ documentId: "a", chunks: [chunk("a", 0, [1, 2, 3])] }])).rejects.toThrow(InvalidRequestError);
    await expect(collection.writeDocuments([{ documentId: "a", chunks: [chunk("a", 0, basis(8, 0).fill(Number.NaN))] }])).rejects.toThrow(/finite/);
    expect(await tableVersion("docs")).toBe(before);
    expect(await collection.count()).toBe(0);

    await expect(collection.vectorSearch(new Float32Array(9), { topK: 1 })).rejects.toThrow(/8 dimensions.*got 9/);
  });

  it("lists collections with model, dims and counts, and drops them", async () => {
    const store = await newStore();
    const alpha = await store.openCollection("alpha", { embedModel: E5, dims: 8 });
    await alpha.writeDocuments([{ documentId: "a", chunks: document("a", 3, 8) }]);
    await alpha.writeDocuments([{ documentId: "b", chunks: document("b", 2, 8) }]);
    await store.openCollection("beta", { embedModel: BGE, dims: 16 });
    // A table askdocs did not create is not a collection.
    const db = await connect(uri);
    await db.createEmptyTable("foreign", new Schema([new Field("x", new Int32(), true)]));
    db.close();

    expect(await store.listCollections()).toEqual([
      { name: "alpha", embedModel: E5, dims: 8, documents: 2, chunks: 5 },
      { name: "beta", embedModel: BGE, dims: 16, documents: 0, chunks: 0 },
    ]);

    expect(await store.dropCollection("beta")).toBe(true);
    expect(await store.dropCollection("beta")).toBe(false);
    expect((await store.listCollections()).map((info) => info.name)).toEqual(["alpha"]);
    await expect(store.openCollection("beta", { embedModel: BGE, dims: 16, create: false })).rejects.toThrow(NotFoundError);
    // Once dropped, the name is free for another model.
    const again = await store.openCollection("beta", { embedModel: E5, dims: 8 });
    expect(await again.count()).toBe(0);
  });

  it("refuses work after close", async () => {
    const store = await newStore();
    await store.openCollection("docs", { embedModel: E5, dims: 8 });
    await store.close();
    await store.close();
    await expect(store.openCollection("docs", { embedModel: E5, dims: 8 })).rejects.toThrow(/closed/);
  });
});
