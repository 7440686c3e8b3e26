/**
 * End-to-end: the real `ingest/command.ts` in a child process, against the fake
 * provider on loopback and a LanceDB in a temp dir, inspected afterwards through a
 * new store instance.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Chunk, chunkDocument } from "../ingest/chunk.js";
import { documentId } from "../ingest/identity.js";
import { loadDocument } from "../ingest/loaders/index.js";
import { ingestSettings } from "../ingest/settings.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { StoredChunk } from "../src/store/vector-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { type RunningIngest, embeddingRequests, ingestEnv, parseSummary, runIngest, startIngest as start, waitFor } from "./helpers/ingest-cli.js";
import { E5, bySource, content, readChunks, tempDir, writeNotes, writeXquadArticles } from "./helpers/ingest-data.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const PDFS = path.join(FIXTURES, "pdfs");
const FOUR_PAGES = "004-pdflatex-4-pages_pdflatex-4-pages.pdf";
const OUTLINE = "006-pdflatex-outline_pdflatex-outline.pdf";
const ENCRYPTED = "005-libreoffice-writer-password_libreoffice-writer-password.pdf";
const NO_TEXT = "007-imagemagick-images_imagemagick-images.pdf";
const settings = ingestSettings(E5);
/** Slow enough to stop half-way: small batches, one request at a time (with fake latency). */
const SLOW = { EMBED_BATCH_SIZE: "4", NIM_CONCURRENCY: "1" };

let fake: FakeProvider;
const dirs: string[] = [];
const children = new Set<RunningIngest>();

/** Runs the command in the background; a test that fails half-way leaves no child behind. */
function startIngest(...args: Parameters<typeof start>): RunningIngest {
  const running = start(...args);
  children.add(running);
  void running.done.finally(() => children.delete(running)).catch(() => {});
  return running;
}

async function scratch(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir;
}

/** What the chunker makes of a file: the reference for what the store must hold. */
async function expectedChunks(file: string): Promise<Chunk[]> {
  return chunkDocument(await loadDocument(new Uint8Array(await readFile(file)), file), settings.chunkOptions);
}

/** The document's stored chunks must be exactly `expected`, in order, under the right ids. */
async function expectDocument(stored: StoredChunk[] | undefined, source: string, expected: Chunk[]) {
  const id = await documentId("default", source);
  expect(stored?.map((c) => c.id)).toEqual(expected.map((_, i) => `${id}:${i}`));
  expect(stored?.map((c) => [c.documentId, c.chunkIndex, c.text, c.heading, c.page])).toEqual(expected.map((c, i) => [id, i, c.text, c.heading, c.page]));
}

/** Every stored document is whole: chunk indices 0..n-1 and exactly the reference's chunks. */
function expectWholeDocuments(stored: StoredChunk[] | undefined, reference: Map<string, StoredChunk[]>) {
  for (const [source, chunks] of bySource(stored)) {
    expect(
      chunks.map((c) => c.chunkIndex),
      source,
    ).toEqual(chunks.map((_, i) => i));
    expect(content(chunks), source).toEqual(content(reference.get(source)));
  }
}

beforeAll(async () => {
  fake = await startFakeProvider({ flavor: "nim" });
});
afterEach(() => {
  for (const running of children) running.child.kill("SIGKILL");
  fake.reset();
  fake.set({ latencyMs: 0 });
});
afterAll(async () => {
  await fake.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.sequential("a folder of real files", () => {
  let docs: string;
  let uri: string;
  const good = new Map<string, Chunk[]>();
  const source = (name: string) => path.join(docs, name);

  beforeAll(async () => {
    const root = await scratch("ingest-folder");
    docs = path.join(root, "docs");
    uri = path.join(root, "db");
    await mkdir(path.join(docs, "pdf"), { recursive: true });
    await mkdir(path.join(docs, ".drafts"));
    for (const name of [FOUR_PAGES, OUTLINE, ENCRYPTED, NO_TEXT]) await copyFile(path.join(PDFS, name), path.join(docs, "pdf", name));
    await copyFile(path.join(FIXTURES, "ingest", "tide-pools.md"), source("tide-pools.md"));
    await copyFile(path.join(FIXTURES, "ingest", "lighthouse.html"), source("lighthouse.html"));
    await copyFile(path.join(FIXTURES, "gbk-sample.txt"), source("gbk-sample.txt"));
    await writeFile(source(".hidden.md"), "# Hidden\n\nNot to be ingested.\n");
    await writeFile(source(".drafts/draft.md"), "# Draft\n\nNot to be ingested either.\n");
    await writeFile(source("settings.json"), '{ "not": "a document" }\n');
    for (const name of [`pdf/${FOUR_PAGES}`, `pdf/${OUTLINE}`, "tide-pools.md", "lighthouse.html", "gbk-sample.txt"]) {
      good.set(name, await expectedChunks(source(name)));
    }
  });

  it("ingests the good files whole, names each failure with its reason, reports skips, exits 1", async () => {
    const run = await runIngest([docs], ingestEnv(fake, uri));
    expect(run.code, run.stderr).toBe(1);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ ingested: 5, unchanged: 0, skipped: 3, failed: 2 });
    expect(summary.failures.get(`pdf/${ENCRYPTED}`)).toMatch(/encrypted PDF \(password required\)/);
    expect(summary.failures.get(`pdf/${NO_TEXT}`)).toMatch(/no extractable text/);
    expect(summary.failures.size).toBe(2);
    expect(summary.skips.get(".hidden.md")).toBe("hidden file");
    expect(summary.skips.get(".drafts/draft.md")).toBe("hidden file");
    expect(summary.skips.get("settings.json")).toMatch(/unsupported type \(\.json\)/);
    // Failures are also logged as they happen (stderr), so a long run shows them early.
    expect(run.stderr).toContain(`failed pdf/${ENCRYPTED}: encrypted PDF`);

    const stored = await readChunks(uri);
    const groups = bySource(stored);
    expect([...groups.keys()].sort()).toEqual([...good.keys()].sort());
    for (const [name, expected] of good) await expectDocument(groups.get(name), source(name), expected);
    const total = [...good.values()].reduce((n, c) => n + c.length, 0);
    expect(summary.chunks).toBe(total);

    // PDF chunks carry their pages: every page of the 4-page file is cited, in order.
    const pdf = groups.get(`pdf/${FOUR_PAGES}`)!;
    expect(pdf.every((c) => c.page !== null && c.page >= 1 && c.page <= 4)).toBe(true);
    expect(new Set(pdf.flatMap((c) => [c.page, c.pageEnd ?? c.page]))).toEqual(new Set([1, 2, 3, 4]));
    expect(pdf.some((c) => c.pageEnd !== null && c.pageEnd > c.page!)).toBe(true);
    // Markdown chunks carry heading paths, HTML too; text files have none.
    expect(groups.get("tide-pools.md")!.map((c) => c.heading)).toContain("A field guide to tide pools > Reading the tide > Spring and neap tides");
    expect(groups.get("lighthouse.html")!.map((c) => c.heading)).toContain("Keeping a lighthouse > The lamp");
    expect(groups.get("tide-pools.md")!.every((c) => c.page === null)).toBe(true);
    expect(
      groups
        .get("gbk-sample.txt")!
        .map((c) => c.text)
        .join(""),
    ).toContain("文档问答服务");
    expect(
      groups
        .get("lighthouse.html")!
        .map((c) => c.text)
        .join(" "),
    ).not.toContain("not part of the text");

    // One batch for all 27-odd chunks: batches mix documents.
    expect(embeddingRequests(fake).map((r) => (r.body as { input: string[] }).input.length)).toEqual([total]);
    // The lock is released.
    expect(existsSync(path.join(uri, ".askdocs-locks", "default.lease"))).toBe(false);
  });

  it("re-running changes nothing: zero embedding requests, everything unchanged, identical store", async () => {
    const before = await readChunks(uri);
    const run = await runIngest([docs], ingestEnv(fake, uri));
    expect(run.code, run.stderr).toBe(1);
    expect(parseSummary(run.stdout)).toMatchObject({ ingested: 0, unchanged: 5, skipped: 3, failed: 2, chunks: 0, requests: 0 });
    expect(embeddingRequests(fake)).toHaveLength(0);
    // ingestedAt included: not one row was rewritten.
    expect(await readChunks(uri)).toEqual(before);
  });

  it("a changed file is re-embedded alone and replaces its old chunks (dry run first changes nothing)", async () => {
    const before = await readChunks(uri);
    const file = source("tide-pools.md");
    await writeFile(file, "# A field guide to tide pools\n\nREVISED edition: the pools are closed for the winter.\n\n## Reopening\n\nThe REVISED guide returns in spring.\n");
    const expected = await expectedChunks(file);
    expect(expected.length).toBeLessThan(good.get("tide-pools.md")!.length);

    const dry = await runIngest([docs, "--dry-run"], ingestEnv(fake, uri));
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain("dry run: nothing was embedded or written");
    expect(parseSummary(dry.stdout)).toMatchObject({ ingested: 1, unchanged: 4, chunks: expected.length, requests: 0 });
    expect(embeddingRequests(fake)).toHaveLength(0);
    expect(await readChunks(uri)).toEqual(before);

    const run = await runIngest([docs], ingestEnv(fake, uri));
    expect(run.code, run.stderr).toBe(1);
    expect(parseSummary(run.stdout)).toMatchObject({ ingested: 1, unchanged: 4, failed: 2, chunks: expected.length, requests: 1 });
    expect(embeddingRequests(fake).map((r) => (r.body as { input: string[] }).input.length)).toEqual([expected.length]);

    const after = await readChunks(uri);
    const groups = bySource(after);
    await expectDocument(groups.get("tide-pools.md"), file, expected);
    expect(
      groups
        .get("tide-pools.md")!
        .map((c) => c.text)
        .join(" "),
    ).not.toContain("Anemones");
    expect(new Set(after!.map((c) => c.id)).size).toBe(after!.length);
    // The other documents were not touched (same rows, same write times).
    const others = (chunks: StoredChunk[] | undefined) => (chunks ?? []).filter((c) => c.source !== "tide-pools.md");
    expect(others(after)).toEqual(others(before));
  });

  it("--prune removes the documents of deleted files; without it they stay", async () => {
    const gone = "lighthouse.html";
    await unlink(source(gone));
    const before = await readChunks(uri);

    const keep = await runIngest([docs], ingestEnv(fake, uri));
    expect(parseSummary(keep.stdout)).toMatchObject({ unchanged: 4, pruned: 0, pruneLines: [] });
    expect(await readChunks(uri)).toEqual(before);

    const dry = await runIngest([docs, "--prune", "--dry-run"], ingestEnv(fake, uri));
    expect(dry.stdout).toContain(`would prune ${gone}`);
    expect(await readChunks(uri)).toEqual(before);

    const prune = await runIngest([docs, "--prune"], ingestEnv(fake, uri));
    expect(prune.code).toBe(1); // the two bad PDFs still fail
    const summary = parseSummary(prune.stdout);
    expect(summary).toMatchObject({ unchanged: 4, pruned: 1, pruneLines: [gone] });
    const after = await readChunks(uri);
    expect(after!.some((c) => c.source === gone)).toBe(false);
    expect(after).toEqual(before!.filter((c) => c.source !== gone));
    expect(embeddingRequests(fake)).toHaveLength(0);
  }, 90_000); // four runs of the command, each starting its parse workers for the PDFs
});

describe("dry run and usage errors", () => {
  it("--dry-run on a new collection embeds and writes nothing, needs no key, and says what it would do", async () => {
    const root = await scratch("ingest-dry");
    const docs = path.join(root, "docs");
    const uri = path.join(root, "db");
    const files = await writeNotes(docs, 3);
    const chunks = (await Promise.all(files.map(expectedChunks))).reduce((n, c) => n + c.length, 0);
    const run = await runIngest([docs, "--dry-run"], ingestEnv(fake, uri, { NVIDIA_API_KEY: undefined }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("dry run: nothing was embedded or written");
    expect(parseSummary(run.stdout)).toMatchObject({ ingested: 3, unchanged: 0, failed: 0, chunks, requests: 0 });
    expect(run.stdout).toMatch(/^files: 3 to ingest/m);
    expect(run.stdout).toMatch(new RegExp(`^chunks: ${chunks} would be written`, "m"));
    expect(fake.requests).toHaveLength(0);
    expect(await readChunks(uri)).toBeUndefined();
    const store = await openLanceStore({ uri });
    expect(await store.listCollections()).toEqual([]);
    await store.close();
  });

  it("exits 2 on bad usage or missing configuration, naming what to fix, before touching the store", async () => {
    const uri = path.join(await scratch("ingest-usage"), "db");
    const env = ingestEnv(fake, uri);
    const [none, unknown, badName, badRpm] = await Promise.all([
      runIngest([], env),
      runIngest([FIXTURES, "--bogus"], env),
      runIngest([FIXTURES, "--collection", "bad name!"], env),
      runIngest([FIXTURES], ingestEnv(fake, uri, { NIM_RPM: "fast" })),
    ]);
    expect([none.code, unknown.code, badName.code, badRpm.code]).toEqual([2, 2, 2, 2]);
    expect(none.stderr).toMatch(/Nothing to ingest/);
    expect(none.stderr).toMatch(/^usage: askdocs ingest/m);
    expect(unknown.stderr).toMatch(/--bogus/);
    expect(unknown.stderr).toMatch(/^usage: askdocs ingest/m);
    expect(badName.stderr).toMatch(/Invalid --collection "bad name!"/);
    expect(badRpm.stderr).toMatch(/NIM_RPM: Expected a whole number/);
    expect(fake.requests).toHaveLength(0);
    expect(existsSync(uri)).toBe(false);
  });
});

describe.sequential("crashes, interrupts and concurrent runs", () => {
  let corpus: string;
  let reference: StoredChunk[];
  let referenceDocs: Map<string, StoredChunk[]>;

  beforeAll(async () => {
    const root = await scratch("ingest-crash");
    corpus = path.join(root, "corpus");
    await writeNotes(corpus, 30);
    await writeXquadArticles(corpus, "en");
    const uri = path.join(root, "reference-db");
    const run = await runIngest([corpus], ingestEnv(fake, uri));
    expect(run.code, run.stderr).toBe(0);
    reference = (await readChunks(uri))!;
    referenceDocs = bySource(reference);
    expect(referenceDocs.size).toBe(54);
  }, 60_000);

  /** Starts a slow run and resolves once `minDocs` documents are in its store. */
  async function startSlow(uri: string, minDocs: number) {
    fake.set({ latencyMs: 100 });
    const running = startIngest([corpus], ingestEnv(fake, uri, SLOW));
    const watcher = await openLanceStore({ uri });
    try {
      let docs = 0;
      await waitFor(async () => {
        if (running.child.exitCode !== null) throw new Error(`the run ended before it could be stopped:\n${running.stdout}${running.stderr}`);
        const collection = await watcher.openCollection("default", { embedModel: E5.id, dims: E5.dims, create: false }).catch(() => undefined);
        docs = collection ? (await collection.listDocuments()).length : 0;
        return docs >= minDocs;
      }, `${minDocs} documents in the store`);
      expect(docs).toBeLessThan(referenceDocs.size - 10);
    } finally {
      await watcher.close();
    }
    return running;
  }

  it("kill -9 mid-run leaves only whole documents; the next run resumes past the stale lock and matches a clean run", async () => {
    const uri = path.join(await scratch("ingest-kill"), "db");
    const running = await startSlow(uri, 3);
    running.child.kill("SIGKILL");
    const killed = await running.done;
    expect(killed.signal).toBe("SIGKILL");

    const partial = await readChunks(uri);
    const present = bySource(partial);
    expect(present.size).toBeGreaterThanOrEqual(3);
    expect(present.size).toBeLessThan(referenceDocs.size);
    expectWholeDocuments(partial, referenceDocs);

    // The killed process left its lock behind.
    const lockFile = path.join(uri, ".askdocs-locks", "default.lease");
    expect(JSON.parse(await readFile(lockFile, "utf8"))).toMatchObject({ pid: running.child.pid });

    fake.set({ latencyMs: 0 });
    const resumed = await runIngest([corpus], ingestEnv(fake, uri));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/being ingested by another process/);
    expect(parseSummary(resumed.stdout)).toMatchObject({ ingested: referenceDocs.size - present.size, unchanged: present.size, failed: 0 });
    expect(content(await readChunks(uri))).toEqual(content(reference));
    expect(existsSync(lockFile)).toBe(false);
  }, 60_000);

  it("kill -9 during a run of many small files (several documents per commit) leaves only whole documents; the resume matches a clean run", async () => {
    const root = await scratch("ingest-kill-small");
    const small = path.join(root, "small");
    await mkdir(small);
    // One or two chunks each: many documents finish at once, so commits carry several.
    for (let i = 0; i < 400; i++) {
      const body = Array.from({ length: 1 + (i % 3) * 20 }, (_, k) => `Tiny note ${i}, line ${k}: harbour ${i * 13 + k} logged a tide of ${(i * 7 + k) % 97} cm.`).join(" ");
      await writeFile(path.join(small, `tiny-${String(i).padStart(3, "0")}.txt`), `${body}\n`);
    }
    const clean = path.join(root, "clean-db");
    expect((await runIngest([small], ingestEnv(fake, clean))).code).toBe(0);
    const cleanChunks = (await readChunks(clean))!;
    const cleanDocs = bySource(cleanChunks);
    expect(cleanDocs.size).toBe(400);

    const uri = path.join(root, "db");
    fake.set({ latencyMs: 40 });
    const running = startIngest([small], ingestEnv(fake, uri, { EMBED_BATCH_SIZE: "8", NIM_CONCURRENCY: "2" }));
    const watcher = await openLanceStore({ uri });
    try {
      await waitFor(async () => {
        if (running.child.exitCode !== null) throw new Error(`the run ended before it could be stopped:\n${running.stdout}${running.stderr}`);
        const collection = await watcher.openCollection("default", { embedModel: E5.id, dims: E5.dims, create: false }).catch(() => undefined);
        return collection ? (await collection.listDocuments()).length >= 20 : false;
      }, "20 documents in the store");
    } finally {
      await watcher.close();
    }
    running.child.kill("SIGKILL");
    expect((await running.done).signal).toBe("SIGKILL");

    const partial = await readChunks(uri);
    const present = bySource(partial);
    expect(present.size).toBeGreaterThanOrEqual(20);
    expect(present.size).toBeLessThan(400);
    expectWholeDocuments(partial, cleanDocs);

    fake.set({ latencyMs: 0 });
    fake.reset();
    const resumed = await runIngest([small], ingestEnv(fake, uri));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(parseSummary(resumed.stdout)).toMatchObject({ ingested: 400 - present.size, unchanged: present.size, failed: 0 });
    expect(content(await readChunks(uri))).toEqual(content(cleanChunks));

    // A third run finds nothing to do and asks the provider for nothing.
    fake.reset();
    const again = await runIngest([small], ingestEnv(fake, uri));
    expect(parseSummary(again.stdout)).toMatchObject({ ingested: 0, unchanged: 400, failed: 0 });
    expect(embeddingRequests(fake)).toHaveLength(0);
  }, 120_000);

  it("SIGINT stops the run with exit 130, writes only whole documents and releases the lock", async () => {
    const uri = path.join(await scratch("ingest-sigint"), "db");
    const running = await startSlow(uri, 2);
    running.child.kill("SIGINT");
    const run = await running.done;
    expect(run.code, run.stderr).toBe(130);
    const summary = parseSummary(run.stdout);
    expect(summary.failed).toBeGreaterThan(0);
    expect([...summary.failures.values()]).toContain("not ingested: interrupted");
    const stored = await readChunks(uri);
    expect(bySource(stored).size).toBe(summary.ingested);
    expectWholeDocuments(stored, referenceDocs);
    expect(existsSync(path.join(uri, ".askdocs-locks", "default.lease"))).toBe(false);
  }, 60_000);

  it("a second ingest into a busy collection exits with a clear message and does not disturb the first", async () => {
    const uri = path.join(await scratch("ingest-busy"), "db");
    fake.set({ latencyMs: 100 });
    const first = startIngest([corpus], ingestEnv(fake, uri, SLOW));
    // The lock is taken before the first embedding request.
    await waitFor(() => embeddingRequests(fake).length > 0, "the first run's first embedding request");
    const second = await runIngest([corpus], ingestEnv(fake, uri));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`Collection "default" is being ingested by another process: "default" is held by pid ${first.child.pid} `));
    expect(first.child.exitCode).toBeNull(); // it did not wait for the first to end
    fake.set({ latencyMs: 0 });
    const run = await first.done;
    expect(run.code, run.stderr).toBe(0);
    expect(content(await readChunks(uri))).toEqual(content(reference));
  }, 60_000);

  it("two ingests started together: one does the work, the other waits its turn or stops; the table ends up as a clean run's", async () => {
    const uri = path.join(await scratch("ingest-race"), "db");
    const runs = await Promise.all([runIngest([corpus], ingestEnv(fake, uri)), runIngest([corpus], ingestEnv(fake, uri))]);
    const finished = runs.filter((r) => r.code === 0);
    for (const run of runs.filter((r) => r.code !== 0)) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/is being ingested by another process/);
    }
    expect(finished.length).toBeGreaterThanOrEqual(1);
    // Never both at once: every document was embedded and written by exactly one of them.
    expect(finished.reduce((n, r) => n + parseSummary(r.stdout).ingested, 0)).toBe(referenceDocs.size);
    expect(content(await readChunks(uri))).toEqual(content(reference));
  }, 60_000);
});

describe("provider failures", () => {
  it("rides out a transient outage (5xx, then a 429 with Retry-After) and reports the retries; progress shows on stderr", async () => {
    const root = await scratch("ingest-outage");
    const docs = path.join(root, "docs");
    const uri = path.join(root, "db");
    await writeNotes(docs, 30);
    // 90 chunks in batches of 4, one at a time, 200 ms each: over 5 s, long enough for a progress line.
    fake.set({ latencyMs: 200 });
    const running = startIngest([docs], ingestEnv(fake, uri, { ...SLOW, PROVIDER_MAX_RETRIES: "5" }));
    await waitFor(() => embeddingRequests(fake).length > 0, "the first embedding request");
    fake.inject({ type: "status", status: 503, body: { status: 503, title: "Service Unavailable", detail: "worker restarting" }, headers: { "retry-after": "0" } }, { route: "embeddings", times: 3 });
    fake.inject({ type: "rate-limit", retryAfterSeconds: 1 }, { route: "embeddings" });
    const run = await running.done;
    expect(run.code, run.stderr).toBe(0);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ ingested: 30, failed: 0, retries: 4 });
    expect(
      embeddingRequests(fake)
        .map((r) => r.status)
        .filter((s) => s !== 200),
    ).toEqual([503, 503, 503, 429]);
    expect(run.stderr).toMatch(/provider retry .*status=503/);
    expect(run.stderr).toMatch(/^progress files \d+\/30 \(\d+%\) · chunks \d+ · [\d.]+ chunks\/s · ETA /m);
    const groups = bySource(await readChunks(uri));
    expect(groups.size).toBe(30);
    for (const chunks of groups.values()) expect(chunks.map((c) => c.chunkIndex)).toEqual([0, 1, 2]);
  }, 60_000);

  it("a file the provider keeps refusing (HTTP 400) fails alone, with the provider's reason; the rest are ingested", async () => {
    const root = await scratch("ingest-refused");
    const docs = path.join(root, "docs");
    const uri = path.join(root, "db");
    const [refused, ...fine] = await writeNotes(docs, 3);
    // One request at a time, so the faults land in order: the mixed batch of all three
    // documents, then the first document retried on its own.
    fake.inject({ type: "status", status: 400, body: { status: 400, title: "Bad Request", detail: "input rejected by the content filter" } }, { route: "embeddings", times: 2 });
    const run = await runIngest([docs], ingestEnv(fake, uri, { NIM_CONCURRENCY: "1" }));
    expect(run.code, run.stderr).toBe(1);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ ingested: 2, failed: 1, retries: 0 });
    expect(summary.failures.get(path.basename(refused!))).toBe("embedding failed: NVIDIA NIM rejected the request (HTTP 400: input rejected by the content filter).");
    const requests = embeddingRequests(fake);
    expect(requests.map((r) => [(r.body as { input: string[] }).input.length, r.status])).toEqual([
      [9, 400],
      [3, 400],
      [3, 200],
      [3, 200],
    ]);
    const groups = bySource(await readChunks(uri));
    expect([...groups.keys()].sort()).toEqual(fine.map((f) => path.basename(f)).sort());
    for (const chunks of groups.values()) expect(chunks).toHaveLength(3);
  });

  it("a wrong key fails every file at once, naming NVIDIA_API_KEY, without retrying", async () => {
    const root = await scratch("ingest-badkey");
    const docs = path.join(root, "docs");
    const uri = path.join(root, "db");
    const files = await writeNotes(docs, 3);
    const run = await runIngest([docs], ingestEnv(fake, uri, { NVIDIA_API_KEY: "nvapi-wrong-key", PROVIDER_MAX_RETRIES: "5" }));
    expect(run.code, run.stderr).toBe(1);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ ingested: 0, failed: 3, retries: 0 });
    expect(run.stdout).toMatch(/^stopped early: .*NVIDIA_API_KEY/m);
    for (const file of files) expect(summary.failures.get(path.basename(file))).toMatch(/^not ingested: NVIDIA NIM rejected the credentials \(HTTP 401.*Check NVIDIA_API_KEY/);
    expect(fake.requests.map((r) => [r.path, r.status])).toEqual([["/v1/embeddings", 401]]);
    expect(`${run.stdout}${run.stderr}`).not.toContain("nvapi-wrong-key");
    expect(run.ms).toBeLessThan(10_000);
    expect(bySource(await readChunks(uri)).size).toBe(0);
  });
});
