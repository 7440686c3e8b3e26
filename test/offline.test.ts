import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SourceFile, ingestFiles } from "../ingest/pipeline.js";
import { ingestSettings } from "../ingest/settings.js";
import { type Config, loadConfig } from "../src/config.js";
import { NotConfiguredError } from "../src/errors.js";
import { createApp } from "../src/http/app.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { type Logger, silentLogger } from "../src/logger.js";
import { createEmbedder } from "../src/providers/embed.js";
import { type Providers, createProviders } from "../src/providers/registry.js";
import { isChineseText } from "../src/answer/prompt.js";
import { retrieve } from "../src/retrieval/retrieve.js";
import { seedSamples } from "../ingest/samples.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { VectorStore } from "../src/store/vector-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { E5 } from "./helpers/ingest-data.js";
import { markdownFiles, readXquad, scratchDir } from "./helpers/retrieval-data.js";
import { fakeTransport } from "./providers/helpers.js";

/**
 * askdocs with no keys at all: documents are stored without vectors and found by
 * keyword, answers are extractive, and the first start seeds the sample documents. A
 * later run with a provider gives the same chunks their vectors.
 */
const SAMPLES = fileURLToPath(new URL("../data/samples/", import.meta.url));
const settings = ingestSettings(E5);

/** The sample documents (English and Chinese) plus one XQuAD article in each language. */
async function documents(dir: string): Promise<SourceFile[]> {
  const samples = (await readdir(SAMPLES)).filter((name) => name.endsWith(".md"));
  const own = await Promise.all(samples.map(async (fileName) => ({ fileName, markdown: await readFile(path.join(SAMPLES, fileName), "utf8") })));
  const xquad = await Promise.all((["en", "zh"] as const).map(async (language) => ({ ...(await readXquad(language)).articles[1]!, language })));
  return markdownFiles(dir, [...own, ...xquad.map((a) => ({ fileName: `${a.language}-${a.fileName}`, markdown: a.markdown }))]);
}

/** Table rows as stored: id, text and whether the row has a vector, sorted by id. */
async function storedRows(uri: string, collection: string): Promise<{ id: string; text: string; hasVector: boolean }[]> {
  const db = await connect(uri);
  try {
    const table = await db.openTable(collection);
    const rows = await table.query().select({ id: "id", text: "text", has_vector: "vector IS NOT NULL" }).toArray();
    return rows.map((r) => ({ id: String(r.id), text: String(r.text), hasVector: Boolean(r.has_vector) })).sort((a, b) => (a.id < b.id ? -1 : 1));
  } finally {
    db.close();
  }
}

interface SseEvent {
  event: string;
  data: unknown;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event =
        lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim() ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      return { event, data: JSON.parse(data) as unknown };
    });
}

describe("with no provider keys", () => {
  let dir: string;
  let uri: string;
  let remove: () => Promise<void>;
  let config: Config;
  let providers: Providers;
  let store: VectorStore;
  let files: SourceFile[];

  beforeAll(async () => {
    ({ dir, remove } = await scratchDir("offline"));
    uri = path.join(dir, "db");
    config = loadConfig({ LANCEDB_URI: uri, SAMPLE_DOCS: "" });
    providers = createProviders(config);
    store = await openLanceStore({ uri: config.LANCEDB_URI });
    files = await documents(dir);
    const collection = await store.openCollection("default", { embedModel: config.EMBED_MODEL, dims: settings.dims });
    const report = await ingestFiles(files, { collectionName: "default", collection, embedder: providers.embedder, chunkOptions: settings.chunkOptions, settingsKey: settings.settingsKey });
    expect(report.files.map((f) => f.status)).toEqual(files.map(() => "ingested"));
    expect(report.embedRequests).toBe(0);
  });
  afterAll(async () => {
    await store?.close();
    await remove?.();
  });

  it("stores every chunk without a vector and finds them by keyword, in English and Chinese", async () => {
    expect(providers.embedder).toBeUndefined();
    const collection = await store.openCollection("default", { embedModel: config.EMBED_MODEL, dims: settings.dims, create: false });
    const listed = await collection.listDocuments();
    expect(listed).toHaveLength(files.length);
    for (const doc of listed) expect({ source: doc.source, embedded: doc.embedded, some: doc.chunks > 0 }).toEqual({ source: doc.source, embedded: 0, some: true });
    expect((await storedRows(uri, "default")).every((r) => !r.hasVector)).toBe(true);

    const first = async (query: string) => (await collection.keywordSearch(query, { topK: 3 }))[0]?.source.split("/").pop();
    expect(await first("spring tides neap tides Moon")).toBe("tides.md");
    expect(await first("陆羽 茶经")).toBe("茶的简史.md");
    expect(await first("萨克森花园 剧院")).toBe("zh-002-Warsaw.md");
    expect(await first("Saxon Garden summer theatre")).toBe("en-002-Warsaw.md");
  });

  it("retrieve() defaults to keyword mode; vector and hybrid are 503s that name NVIDIA_API_KEY and EMBED_BASE_URL", async () => {
    const plain = await retrieve({ store, embedder: providers.embedder, embedderMissing: providers.embedderMissing, collection: "default", query: "Why are there two high tides a day?", topK: 4 });
    expect(plain.mode).toBe("keyword");
    expect(plain.hits[0]?.source).toMatch(/tides\.md$/);
    for (const mode of ["vector", "hybrid"] as const) {
      const error = await retrieve({ store, embedder: providers.embedder, embedderMissing: providers.embedderMissing, collection: "default", query: "tides", topK: 4, mode }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotConfiguredError);
      expect((error as NotConfiguredError).status).toBe(503);
      expect((error as Error).message).toMatch(/NVIDIA_API_KEY/);
      expect((error as Error).message).toMatch(/EMBED_BASE_URL/);
    }
  });

  describe("over HTTP", () => {
    const post = async (route: string, body: Record<string, unknown>) => {
      const app = createApp(createRuntime({ config, store, providers: { baseDelayMs: 5 } }));
      return app.request(route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    };
    interface Citation {
      n: number;
      cited: boolean;
      text: string;
      source: string;
    }
    interface Answer {
      answer: string;
      answer_mode: string;
      model: string | null;
      mode: string;
      citations: Citation[];
    }

    /** The answer's sentences with the passage number each cites. */
    const cited = (answer: string) => [...answer.matchAll(/([^[\]]+?)\s*\[(\d+)\]/g)].map((m) => ({ sentence: m[1]!.trim(), n: Number(m[2]) }));

    for (const [language, question, source] of [
      ["English", "What causes spring tides and neap tides?", /tides\.md$/],
      ["Chinese", "陆羽写的关于茶的专著叫什么？", /茶的简史\.md$/],
    ] as const) {
      it(`answers a question in ${language} extractively: sentences of the retrieved passages, each cited [n], citations flagged`, async () => {
        const response = await post("/v1/ask", { question });
        expect(response.status).toBe(200);
        const body = (await response.json()) as Answer;
        expect(body).toMatchObject({ answer_mode: "extractive", model: null, mode: "keyword" });
        expect(body.citations[0]?.source).toMatch(source);

        const parts = cited(body.answer);
        expect(parts.length).toBeGreaterThan(0);
        // Nothing but cited sentences: the answer is exactly their concatenation.
        expect(body.answer.replace(/\s*\[\d+\]\s*/g, "")).toBe(parts.map((p) => p.sentence).join(""));
        for (const { sentence, n } of parts) expect(body.citations[n - 1]?.text).toContain(sentence);
        const numbers = new Set(parts.map((p) => p.n));
        expect(body.citations.map((c) => c.cited)).toEqual(body.citations.map((c) => numbers.has(c.n)));
        expect(isChineseText(body.answer)).toBe(language === "Chinese");
      });
    }

    it("searches by keyword, and streams an answer as citations, delta, done", async () => {
      const search = await post("/v1/search", { query: "high tides low tides", top_k: 3 });
      expect(search.status).toBe(200);
      const found = (await search.json()) as { mode: string; results: { source: string }[] };
      expect(found.mode).toBe("keyword");
      expect(found.results).toHaveLength(3);
      expect(found.results[0]!.source).toMatch(/tides\.md$/);

      const question = "How often does the tide turn?";
      const whole = (await (await post("/v1/ask", { question })).json()) as Answer;
      const streamed = await post("/v1/ask", { question, stream: true });
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = parseSse(await streamed.text());
      expect(events.map((e) => e.event)).toEqual(["citations", "delta", "done"]);
      const [citations, delta, done] = events.map((e) => e.data) as [{ citations: Citation[]; answer_mode: string }, { text: string }, { cited: number[]; answer_mode: string }];
      expect(citations.answer_mode).toBe("extractive");
      expect(citations.citations.map((c) => c.text)).toEqual(whole.citations.map((c) => c.text));
      expect(delta.text).toBe(whole.answer);
      expect(done.cited).toEqual(whole.citations.filter((c) => c.cited).map((c) => c.n));
      expect(done.cited.length).toBeGreaterThan(0);
    });

    it("answers 503 naming NVIDIA_API_KEY and EMBED_BASE_URL for a vector search", async () => {
      const response = await post("/v1/search", { query: "tides", mode: "vector" });
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("provider_not_configured");
      expect(body.error.message).toMatch(/NVIDIA_API_KEY.*EMBED_BASE_URL/);
    });
  });
});

describe("a collection built without vectors, once a provider is configured", () => {
  let fake: FakeProvider;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await fake?.close();
    await remove?.();
  });

  it("gets its vectors on the next ingest, with the same chunks, and the run after that embeds nothing", async () => {
    const scratch = await scratchDir("late-vectors");
    remove = scratch.remove;
    const uri = path.join(scratch.dir, "db");
    const files = await documents(scratch.dir);
    const store = await openLanceStore({ uri });
    try {
      const collection = await store.openCollection("later", { embedModel: E5.id, dims: E5.dims });
      const embedder = createEmbedder({ transport: fakeTransport(fake), profile: E5 });
      const run = (withEmbedder: boolean) =>
        ingestFiles(files, { collectionName: "later", collection, embedder: withEmbedder ? embedder : undefined, chunkOptions: settings.chunkOptions, settingsKey: settings.settingsKey });
      const embeddingRequests = () => fake.requests.filter((r) => r.path.endsWith("/embeddings"));

      await run(false);
      const before = await storedRows(uri, "later");
      expect(before.every((r) => !r.hasVector)).toBe(true);

      const second = await run(true);
      expect(second.files.map((f) => f.status)).toEqual(files.map(() => "ingested"));
      expect(second.embedRequests).toBeGreaterThan(0);
      const embedded = embeddingRequests().flatMap((r) => (r.body as { input: string[] }).input);
      expect(embedded.sort()).toEqual(before.map((r) => r.text).sort());
      const after = await storedRows(uri, "later");
      expect(after.map(({ id, text }) => ({ id, text }))).toEqual(before.map(({ id, text }) => ({ id, text })));
      expect(after.every((r) => r.hasVector)).toBe(true);
      expect(await collection.count()).toBe(before.length);
      for (const doc of await collection.listDocuments()) expect(doc.embedded).toBe(doc.chunks);

      fake.reset();
      const third = await run(true);
      expect(third.files.map((f) => f.status)).toEqual(files.map(() => "unchanged"));
      expect(third.embedRequests).toBe(0);
      expect(embeddingRequests()).toHaveLength(0);
    } finally {
      await store.close();
    }
  });
});

describe("seedSamples", () => {
  it("ingests data/samples into `default` when it does not exist, and does nothing when it does", async () => {
    const { dir, remove } = await scratchDir("seed");
    const config = loadConfig({ LANCEDB_URI: path.join(dir, "db"), SAMPLE_DOCS: SAMPLES });
    const store = await openLanceStore({ uri: config.LANCEDB_URI });
    const logged: string[] = [];
    const logger: Logger = { ...silentLogger, info: (message) => logged.push(message) };
    try {
      const deps = createRuntime({ config, store, logger });
      await seedSamples(deps);
      const samples = (await readdir(SAMPLES)).filter((name) => name.endsWith(".md")).sort();
      const collection = await store.openCollection("default", { embedModel: config.EMBED_MODEL, dims: settings.dims, create: false });
      const seeded = await collection.listDocuments();
      expect(seeded.map((d) => d.source.split("/").pop()).sort()).toEqual(samples);
      expect(seeded.every((d) => d.embedded === 0 && d.chunks > 0)).toBe(true);
      expect(logged).toEqual(["sample documents ingested"]);
      expect((await collection.keywordSearch("茶经", { topK: 1 }))[0]?.source).toMatch(/茶的简史\.md$/);

      // `default` exists now: a removed sample stays removed, nothing is written.
      expect(await collection.deleteDocument(seeded[0]!.documentId)).toBe(true);
      const count = await collection.count();
      await seedSamples(deps);
      expect(await collection.listDocuments()).toEqual(seeded.slice(1));
      expect(await collection.count()).toBe(count);
      expect(logged).toHaveLength(1);
    } finally {
      await store.close();
      await remove();
    }
  });
});
