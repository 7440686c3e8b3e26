import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Chunk, type ChunkOptions, chunkDocument } from "../ingest/chunk.js";
import { documentId } from "../ingest/identity.js";
import { loadDocument } from "../ingest/loaders/index.js";
import { type IngestOptions, type SourceFile, ingestFiles } from "../ingest/pipeline.js";
import { createEmbedder } from "../src/providers/embed.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { Collection, VectorStore } from "../src/store/vector-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { E5, bySource, readChunks, tempDir } from "./helpers/ingest-data.js";
import { fakeTransport } from "./providers/helpers.js";

/**
 * The pipeline called directly: a real LanceDB collection, the real embedder and
 * transport against the fake provider. Chunks are sized in words so each paragraph
 * below is one chunk, and batch boundaries fall where the tests need them.
 */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const chunkOptions: ChunkOptions = { maxTokens: 40, targetTokens: 30, overlapTokens: 0, countTokens: words };

/** A Markdown document of `paragraphs` paragraphs of ~20 words; `poison` marks one of them. */
function markdown(name: string, paragraphs: number, options: { poison?: number; edition?: string } = {}): string {
  const body = Array.from({ length: paragraphs }, (_, i) => {
    const marker = i === options.poison ? " POISON" : "";
    return `Paragraph ${i} of ${name}${options.edition ? ` (${options.edition})` : ""} describes item ${i * 13} in the catalogue, its origin, its keeper and the shelf where it rests${marker}.`;
  });
  return `# ${name}\n\n${body.join("\n\n")}\n`;
}

function source(name: string, text: string): SourceFile & { text: string } {
  const bytes = new TextEncoder().encode(text);
  return { source: `/docs/${name}.md`, size: bytes.length, read: async () => bytes, text };
}

async function chunksOf(file: SourceFile & { text: string }): Promise<Chunk[]> {
  return chunkDocument(await loadDocument(new TextEncoder().encode(file.text), file.source), chunkOptions);
}

const inputs = (fake: FakeProvider) => fake.requests.filter((r) => r.path.endsWith("/embeddings")).map((r) => (r.body as { input: string[] }).input);

/** NIM's answer to a request it refuses for its content (no "batch" in it: that would mean "too large"). */
function refusePoison(): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === "string" && init.body.includes("POISON")) {
      return new Response(JSON.stringify({ status: 400, title: "Bad Request", detail: "input rejected by the content filter" }), { status: 400, headers: { "content-type": "application/problem+json" } });
    }
    return fetch(input, init);
  };
}

describe("ingestFiles", () => {
  let fake: FakeProvider;
  let dir: string;
  let uri: string;
  let store: VectorStore;
  let collection: Collection;

  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    dir = await tempDir("pipeline");
    uri = path.join(dir, "db");
    store = await openLanceStore({ uri });
    collection = await store.openCollection("default", { embedModel: E5.id, dims: E5.dims });
  });
  afterEach(async () => {
    fake.reset();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<IngestOptions> & { batchSize?: number; fetch?: typeof fetch; apiKey?: string } = {}): IngestOptions {
    const { batchSize = 4, fetch: fetchImpl, apiKey, ...rest } = overrides;
    const transport = fakeTransport(fake, { ...(fetchImpl ? { fetch: fetchImpl } : {}), ...(apiKey ? { apiKey } : {}) });
    return {
      collectionName: "default",
      collection,
      embedder: createEmbedder({ transport, profile: E5, batchSize }),
      chunkOptions,
      settingsKey: "test-settings",
      concurrency: 1,
      ...rest,
    };
  }

  it("packs chunks of several documents into each batch and writes every document whole", async () => {
    const files = [source("a", markdown("a", 3)), source("b", markdown("b", 2)), source("c", markdown("c", 4)), source("d", markdown("d", 1))];
    const expected = await Promise.all(files.map(chunksOf));
    expect(expected.map((c) => c.length)).toEqual([3, 2, 4, 1]);

    const report = await ingestFiles(files, options());
    expect(report.files.map((f) => [f.source, f.status, f.chunks])).toEqual(files.map((f, i) => [f.source, "ingested", expected[i]!.length]));
    expect(report).toMatchObject({ chunksWritten: 10, embedRequests: 3 });

    // Batches are filled across document boundaries: 4 + 4 + 2, not one short batch per document.
    const batches = inputs(fake);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batches.flat()).toEqual(expected.flat().map((c) => c.text));
    const owner = new Map(expected.flatMap((chunks, i) => chunks.map((c) => [c.text, files[i]!.source] as const)));
    expect(batches.map((b) => new Set(b.map((t) => owner.get(t))).size)).toEqual([2, 2, 2]);

    const stored = bySource(await readChunks(uri));
    for (const [i, file] of files.entries()) {
      const id = await documentId("default", file.source);
      expect(stored.get(file.source)!.map((c) => [c.id, c.chunkIndex, c.text])).toEqual(expected[i]!.map((c, k) => [`${id}:${k}`, k, c.text]));
    }
  });

  it("never writes part of a document: one failed batch fails the document, its other vectors are dropped, the old version stays", async () => {
    const a = source("a", markdown("a", 2));
    const b = source("b", markdown("b", 2));
    const v1 = source("x", markdown("x", 6, { edition: "first edition" }));
    await ingestFiles([a, v1, b], options());
    const before = await readChunks(uri);
    expect(bySource(before).get(v1.source)).toHaveLength(6);
    fake.reset();

    // x's second edition spans two batches: [a0 a1 x0 x1] is embedded, [x2..x5] is refused.
    const a2 = source("a", markdown("a", 2, { edition: "revised" }));
    const v2 = source("x", markdown("x", 6, { edition: "second edition", poison: 4 }));
    const report = await ingestFiles([a2, v2, b], options({ fetch: refusePoison() }));
    const outcome = new Map(report.files.map((f) => [f.source, f]));
    expect(outcome.get(v2.source)).toMatchObject({ status: "failed", reason: "embedding failed: NVIDIA NIM rejected the request (HTTP 400: input rejected by the content filter).", code: "provider_bad_request" });
    expect(outcome.get(a2.source)?.status).toBe("ingested");
    expect(outcome.get(b.source)?.status).toBe("unchanged");
    // The fake embedded x0 and x1 (with a's chunks) before x's other batch was refused.
    expect(inputs(fake).map((batch) => batch.filter((t) => t.includes("second edition")).length)).toEqual([2]);

    const after = bySource(await readChunks(uri));
    // x still has its first edition, all six chunks, untouched.
    expect(after.get(v2.source)).toEqual(bySource(before).get(v1.source));
    expect(
      after
        .get(a2.source)!
        .map((c) => c.text)
        .join(" "),
    ).toContain("revised");
    expect(after.get(b.source)).toEqual(bySource(before).get(b.source));
  });

  it("a 400 for a mixed batch is narrowed down by retrying each document alone: only the refused one fails", async () => {
    const files = [source("a", markdown("a", 2)), source("p", markdown("p", 3, { poison: 1 })), source("b", markdown("b", 2))];
    const report = await ingestFiles(files, options({ batchSize: 32, fetch: refusePoison() }));
    expect(report.files.map((f) => [f.source, f.status]).sort()).toEqual([
      ["/docs/a.md", "ingested"],
      ["/docs/b.md", "ingested"],
      ["/docs/p.md", "failed"],
    ]);
    // The fake only saw the requests without the poison: a alone and b alone.
    expect(
      inputs(fake)
        .map((b) => b.length)
        .sort(),
    ).toEqual([2, 2]);
    expect([...bySource(await readChunks(uri)).keys()].sort()).toEqual(["/docs/a.md", "/docs/b.md"]);
  });

  it("stops at the first fatal error (wrong key): one request, every file failed with the reason, nothing written", async () => {
    const files = [source("a", markdown("a", 3)), source("b", markdown("b", 3)), source("c", markdown("c", 3))];
    const report = await ingestFiles(files, options({ apiKey: "wrong-key" }));
    expect(report.fatal).toMatch(/rejected the credentials \(HTTP 401.*NVIDIA_API_KEY/);
    expect(report.files.map((f) => f.status)).toEqual(["failed", "failed", "failed"]);
    for (const f of report.files) expect(f.reason).toBe(`not ingested: ${report.fatal}`);
    expect(fake.requests).toHaveLength(1);
    expect(await collection.count()).toBe(0);
  });

  it("a dry run needs neither embedder nor collection and reports the chunks it would write", async () => {
    const files = [source("a", markdown("a", 3)), source("b", markdown("b", 2))];
    const report = await ingestFiles(files, { collectionName: "default", collection: undefined, embedder: undefined, chunkOptions, settingsKey: "k", dryRun: true });
    expect(report.files.map((f) => [f.status, f.chunks])).toEqual([
      ["ingested", 3],
      ["ingested", 2],
    ]);
    expect(report).toMatchObject({ chunksWritten: 0, embedRequests: 0 });
    expect(fake.requests).toHaveLength(0);
  });
});
