/**
 * Past one machine, offline: two API replicas (UPKEEP=off) and one ingest process
 * (UPKEEP=on) on one `s3+ddb://` URI (s3rver + dynalite started here). Concurrent uploads
 * through both replicas while a batch ingest runs: every document lands exactly once and
 * whole, both replicas see all of them within READ_CONSISTENCY_MS, and upkeep ran once.
 * Then a writer is killed with -9 mid-run: only whole documents remain, a lease left by a
 * writer on another host blocks until it expires and is then taken over, and the rerun
 * completes the set.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConditionalLeaseStore } from "../src/coordination/conditional-lease-store.js";
import { dynamoDbLeaseBackend } from "../src/coordination/dynamodb-lease-backend.js";
import { openLanceStore } from "../src/store/lance-store.js";
import { lanceStorageOptions } from "../src/store/storage-location.js";
import type { StoredChunk } from "../src/store/vector-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { runIngest, startIngest } from "./helpers/ingest-cli.js";
import { E5 } from "./helpers/ingest-data.js";
import { type LocalObjectStore, startLocalObjectStore } from "./helpers/local-object-store.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";

const READ_CONSISTENCY_MS = 1000;
let s3: LocalObjectStore;
let fake: FakeProvider;
let root: string;

beforeAll(async () => {
  [s3, fake] = await Promise.all([startLocalObjectStore(), startFakeProvider({ flavor: "nim" })]);
  root = await mkdtemp(path.join(tmpdir(), "askdocs-scale-"));
});
afterAll(async () => {
  await fake?.close();
  await s3?.close();
  await rm(root, { recursive: true, force: true });
});

/** A document of several chunks whose every paragraph carries one unique word, so a keyword search finds exactly it. */
function documentText(word: string, paragraphs: number): string {
  const body = Array.from({ length: paragraphs }, (_, p) => `Paragraph ${p} of the ${word} record: ` + Array.from({ length: 60 }, (_, k) => `${word} entry ${p}-${k} notes the tide, the wind and the lamp.`).join(" "));
  return `# Record ${word}\n\n${body.join("\n\n")}\n`;
}

async function writeBatch(dir: string, count: number, word: (i: number) => string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(path.join(dir, `${word(i)}.md`), documentText(word(i), 3))));
}

/** Every chunk, read through a fresh connection (no cached table handle). */
async function readAll(uri: string): Promise<StoredChunk[]> {
  const store = await openLanceStore({ uri, storageOptions: lanceStorageOptions(s3.env) });
  try {
    const collection = await store.openCollection("default", { embedModel: E5.id, dims: E5.dims, create: false });
    const count = await collection.count();
    const hits = await collection.vectorSearch(new Array<number>(E5.dims).fill(1 / Math.sqrt(E5.dims)), { topK: count });
    expect(hits).toHaveLength(count);
    return hits.map(({ score: _score, ...chunk }) => chunk);
  } finally {
    await store.close();
  }
}

/** Each document's chunks: unique ids, indexes 0..n-1, one content hash, as many as the document says. */
async function expectWholeDocuments(uri: string): Promise<Map<string, number>> {
  const chunks = await readAll(uri);
  expect(new Set(chunks.map((c) => c.id)).size).toBe(chunks.length);
  const bySource = new Map<string, StoredChunk[]>();
  for (const c of chunks) bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);
  const counts = new Map<string, number>();
  for (const [source, list] of bySource) {
    const sorted = list.sort((a, b) => a.chunkIndex - b.chunkIndex);
    expect(
      sorted.map((c) => c.chunkIndex),
      source,
    ).toEqual(sorted.map((_, i) => i));
    expect(new Set(sorted.map((c) => c.documentId)).size, source).toBe(1);
    expect(new Set(sorted.map((c) => c.contentHash)).size, source).toBe(1);
    counts.set(path.basename(source), sorted.length);
  }
  return counts;
}

const post = (url: string, body: object) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("two API replicas and one ingest process on one s3+ddb:// URI", () => {
  const replicas: RunningServer[] = [];
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it("lands every upload and every batch file exactly once and whole; both replicas see all within the delay; upkeep ran once", async () => {
    const uri = s3.uri("replicas");
    const replicaEnv = childEnv(fake, uri, { ...s3.env, UPKEEP: "off", READ_CONSISTENCY_MS: String(READ_CONSISTENCY_MS), LEASE_TTL_MS: "5000" });
    replicas.push(...(await Promise.all([startServer(replicaEnv, 60_000), startServer(replicaEnv, 60_000)])));
    const batchDir = path.join(root, "batch");
    await writeBatch(batchDir, 8, (i) => `batchword${i}`);

    const uploads = Array.from({ length: 8 }, (_, i) => `uploadword${i}`);
    const ingest = runIngest([batchDir], childEnv(fake, uri, { ...s3.env, LEASE_TTL_MS: "5000" }), 180_000);
    const uploaded = await Promise.all(
      uploads.map(async (word, i) => {
        const form = new FormData();
        form.append("file", new File([documentText(word, 3)], `${word}.md`));
        const response = await fetch(`${replicas[i % 2]!.url}/v1/documents`, { method: "POST", body: form });
        expect(response.status, await response.clone().text()).toBe(201);
        return (await response.json()) as { source: string; chunks: number };
      }),
    );
    const run = await ingest;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/files: 8 ingested, 0 unchanged/);

    // Exactly once and whole, read through a fresh connection.
    const counts = await expectWholeDocuments(uri);
    expect([...counts.keys()].sort()).toEqual([...uploads, ...Array.from({ length: 8 }, (_, i) => `batchword${i}`)].map((w) => `${w}.md`).sort());
    for (const u of uploaded) expect(counts.get(u.source)).toBe(u.chunks);
    expect(Math.min(...counts.values())).toBeGreaterThan(1);

    // Each replica finds each document by its word within the read-consistency delay (plus slack for this busy machine).
    const words = [...uploads, ...Array.from({ length: 8 }, (_, i) => `batchword${i}`)];
    for (const replica of replicas) {
      const deadline = Date.now() + READ_CONSISTENCY_MS + 10_000;
      let missing = words;
      while (missing.length > 0 && Date.now() < deadline) {
        const found = await Promise.all(
          missing.map(async (word) => {
            const response = await post(`${replica.url}/v1/search`, { query: word, mode: "keyword", top_k: 3 });
            const { results } = (await response.json()) as { results: { source: string }[] };
            return results.some((r) => path.basename(r.source) === `${word}.md`);
          }),
        );
        missing = missing.filter((_, i) => !found[i]);
        if (missing.length) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(missing, replica.url).toEqual([]);
      const listed = await fetch(`${replica.url}/v1/documents?collection=default`).then((r) => r.json() as Promise<{ data: unknown[] }>);
      expect(listed.data).toHaveLength(16);
    }

    // Upkeep: once, by the ingest process; never by a replica.
    expect(run.stdout.match(/^index upkeep: .*compacted \d+ fragments/gm)).toHaveLength(1);
    for (const replica of replicas) {
      const text = await fetch(`${replica.url}/metrics`).then((r) => r.text());
      expect(text).not.toMatch(/^askdocs_upkeep_runs_total\{/m);
      expect(text).toMatch(/^askdocs_ingest_files_total\{status="ingested"\} 4$/m);
      const health = (await fetch(`${replica.url}/health`).then((r) => r.json())) as { store: object };
      expect(health.store).toMatchObject({ backend: "s3+ddb", upkeep: "off", read_consistency_ms: READ_CONSISTENCY_MS });
    }
  }, 300_000);
});

describe("a writer killed with -9", () => {
  it("leaves only whole documents; a lease of a writer on another host blocks until it expires, then is taken over; the rerun completes the set", async () => {
    const uri = s3.uri("kill");
    const corpus = path.join(root, "kill-corpus");
    await writeBatch(corpus, 24, (i) => `killword${String(i).padStart(2, "0")}`);
    const env = childEnv(fake, uri, { ...s3.env, LEASE_TTL_MS: "3000", EMBED_BATCH_SIZE: "2", NIM_CONCURRENCY: "1" });

    fake.set({ latencyMs: 150 });
    const running = startIngest([corpus], env, 180_000);
    const deadline = Date.now() + 120_000;
    let present = new Map<string, number>();
    while (Date.now() < deadline) {
      if (running.child.exitCode !== null) throw new Error(`the run ended before it could be killed:\n${running.stdout}${running.stderr}`);
      present = await expectWholeDocuments(uri).catch(() => new Map<string, number>());
      if (present.size >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    running.child.kill("SIGKILL");
    expect((await running.done).signal).toBe("SIGKILL");
    fake.set({ latencyMs: 0 });

    const partial = await expectWholeDocuments(uri);
    expect(partial.size).toBeGreaterThanOrEqual(2);
    expect(partial.size).toBeLessThan(24);

    // The killed run's lease expires unrenewed; a writer on another host takes it and dies too
    // (from here its pid cannot be checked): the next run is refused until that lease expires.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const other = createConditionalLeaseStore(dynamoDbLeaseBackend(s3.env, s3.table, `${s3.bucket}/kill`), { host: "other-host", pid: 4242 });
    // Long enough to outlast the refused run's start-up on a busy machine.
    const abandoned = await other.acquire("ingest-default", { ttlMs: 15_000 });
    const refused = await runIngest([corpus], env);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/Collection "default" is being ingested by another process: "ingest-default" is held by pid 4242 on other-host/);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, abandoned.holder.expiresAt - Date.now() + 200)));
    const resumed = await runIngest([corpus], env, 180_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/lease taken over.*lease=ingest-default.*previous="pid 4242 on other-host"/);
    expect(resumed.stdout).toMatch(new RegExp(`files: ${24 - partial.size} ingested, ${partial.size} unchanged`));
    const complete = await expectWholeDocuments(uri);
    expect(complete.size).toBe(24);
    for (const [source, n] of partial) expect(complete.get(source)).toBe(n);
  }, 300_000);
});
