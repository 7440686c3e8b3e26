import { describe, expect, it } from "vitest";
import { createGroupWriter } from "../ingest/group-writer.js";
import { createMemoryStore } from "../src/store/memory-store.js";
import type { ChunkRecord, Collection, DocumentWrite } from "../src/store/vector-store.js";

/** A document of `n` chunks (vector-less: stored for keyword search). */
function doc(id: string, n: number, chunkIds = (i: number) => `${id}:${i}`): DocumentWrite {
  const chunks: ChunkRecord[] = Array.from({ length: n }, (_, i) => ({
    id: chunkIds(i),
    documentId: id,
    source: `${id}.md`,
    title: id,
    page: null,
    pageEnd: null,
    heading: "",
    chunkIndex: i,
    text: `chunk ${i} of ${id}`,
    contentHash: "h",
    vector: null,
    ingestedAt: 1,
  }));
  return { documentId: id, chunks };
}

/** The collection, counting its writeDocuments calls (commits) and their sizes. */
async function counted() {
  const collection = await createMemoryStore().openCollection("c", { embedModel: "m", dims: 4 });
  const calls: number[] = [];
  const spied: Collection = {
    ...collection,
    writeDocuments(documents) {
      calls.push(documents.length);
      return collection.writeDocuments(documents);
    },
  };
  return { collection, spied, calls };
}

describe("group writer", () => {
  it("writes documents finished close together in one commit, bounded by rows", async () => {
    const { collection, spied, calls } = await counted();
    const written: string[] = [];
    const writer = createGroupWriter<string>({ collection: spied, maxRows: 10, lingerMs: 50, onWritten: (id) => written.push(id), onFailed: () => undefined });
    for (let i = 0; i < 12; i++) writer.add(`d${i}`, doc(`d${i}`, 2));
    await writer.drain();
    expect(written).toEqual(Array.from({ length: 12 }, (_, i) => `d${i}`));
    // 24 rows at 10 per commit: groups of 5, 5 and 2 documents.
    expect(calls).toEqual([5, 5, 2]);
    expect(await collection.count()).toBe(24);
  });

  it("a document the store refuses fails alone; the rest of its group is written", async () => {
    const { collection, spied } = await counted();
    const written: string[] = [];
    const failed: string[] = [];
    const writer = createGroupWriter<string>({ collection: spied, lingerMs: 10, onWritten: (id) => written.push(id), onFailed: (id) => failed.push(id) });
    writer.add("a", doc("a", 2));
    writer.add(
      "bad",
      doc("bad", 2, () => "bad:0"),
    ); // two chunks with one id
    writer.add("c", doc("c", 1));
    await writer.drain();
    expect(written).toEqual(["a", "c"]);
    expect(failed).toEqual(["bad"]);
    expect((await collection.listDocuments()).map((d) => d.documentId).sort()).toEqual(["a", "c"]);
  });

  it("below() waits for pending bytes to drop", async () => {
    const { spied } = await counted();
    const writer = createGroupWriter<string>({ collection: spied, lingerMs: 10, onWritten: () => undefined, onFailed: () => undefined });
    writer.add("a", doc("a", 50));
    expect(writer.pendingBytes).toBeGreaterThan(0);
    await writer.below(1);
    expect(writer.pendingBytes).toBe(0);
  });
});
