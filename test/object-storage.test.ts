/**
 * askdocs on object storage, offline: s3rver (S3) and dynalite (DynamoDB) started here on
 * 127.0.0.1. The store contract suite on an `s3+ddb://` URI; the cross-host lease on
 * DynamoDB and on S3 objects (atomic take, busy, renew, takeover after expiry, a lost
 * holder told), the latter on an s3rver made to enforce conditional PUT as AWS does, where
 * concurrent LanceDB commits on plain `s3://` are checked too; the
 * real server and ingest command on the same URI, with /health, /metrics and request ids
 * (carried into provider calls and error bodies).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConditionalLeaseStore } from "../src/coordination/conditional-lease-store.js";
import { dynamoDbLeaseBackend } from "../src/coordination/dynamodb-lease-backend.js";
import { s3LeaseBackend } from "../src/coordination/s3-lease-backend.js";
import { LeaseBusyError, holdLease } from "../src/coordination/lease.js";
import { openLanceStore } from "../src/store/lance-store.js";
import { lanceStorageOptions } from "../src/store/storage-location.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { type LocalObjectStore, startLocalObjectStore } from "./helpers/local-object-store.js";
import { REPO_ROOT, type RunningServer, childEnv, runIngestCommand, startServer } from "./helpers/server.js";
import { basis, chunk, describeStoreContract } from "./store-contract.js";

let s3: LocalObjectStore;
/** A second emulator that enforces If-None-Match / If-Match, like AWS S3. */
let conditional: LocalObjectStore;
let prefixes = 0;
const nextPrefix = (name: string) => `${name}-${++prefixes}-${Date.now().toString(36)}`;

beforeAll(async () => {
  [s3, conditional] = await Promise.all([startLocalObjectStore(), startLocalObjectStore({ conditionalWrites: true })]);
});
afterAll(async () => {
  await s3?.close();
  await conditional?.close();
});

describeStoreContract("LanceDB on s3+ddb:// (s3rver + dynalite)", async () => ({
  store: await openLanceStore({ uri: s3.uri(nextPrefix("contract")), storageOptions: lanceStorageOptions(s3.env) }),
}));

const leaseBackends = [
  ["DynamoDB (s3+ddb://)", (scope: string) => dynamoDbLeaseBackend(s3.env, s3.table, scope)],
  ["S3 objects with conditional PUT (s3://)", (scope: string) => s3LeaseBackend(conditional.env, conditional.bucket, scope)],
] as const;

describe.each(leaseBackends)("leases on %s", (_name, backendFor) => {
  it("one of many concurrent takers wins; the rest are told who holds it", async () => {
    const backend = backendFor(nextPrefix("race"));
    const hosts = Array.from({ length: 8 }, (_, i) => createConditionalLeaseStore(backend, { host: `host-${i}`, pid: 100 + i }));
    const results = await Promise.allSettled(hosts.map((h) => h.acquire("ingest-docs", { ttlMs: 30_000 })));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(LeaseBusyError);
    const holder = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<(typeof hosts)[0]["acquire"]>>>).value;
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.message).toContain(holder.holder.owner);
    await holder.release();
    // Released: the next taker gets it at once.
    await (await hosts[3]!.acquire("ingest-docs", { ttlMs: 30_000 })).release();
  });

  it("a renewed lease outlives its TTL; an abandoned one is taken over after expiry and its holder learns it lost", async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const backend = backendFor(nextPrefix("expiry"));
    const first = createConditionalLeaseStore(backend, { host: "a", pid: 1, now });
    const second = createConditionalLeaseStore(backend, { host: "b", pid: 2, now });
    const lease = await first.acquire("write-docs", { ttlMs: 1000 });
    clock += 800;
    await lease.renew();
    clock += 800; // past the first expiry, within the renewed one
    await expect(second.acquire("write-docs", { ttlMs: 1000 })).rejects.toBeInstanceOf(LeaseBusyError);
    clock += 300; // the holder stopped renewing (killed): expired
    const taken = await second.acquire("write-docs", { ttlMs: 1000 });
    expect(taken.holder.owner).toBe("pid 2 on b");
    await expect(lease.renew()).rejects.toThrow(/lost/);
    // The old holder's release must not free the new holder's lease.
    await lease.release();
    await expect(first.acquire("write-docs", { ttlMs: 1000 })).rejects.toBeInstanceOf(LeaseBusyError);
    await taken.release();
  });

  it("holdLease renews by heartbeat, so a short-TTL lease stays held while its run lives", async () => {
    const backend = backendFor(nextPrefix("heartbeat"));
    const held = await holdLease(createConditionalLeaseStore(backend, { host: "c", pid: 1 }), "ingest-long", { ttlMs: 600 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(held.lost.aborted).toBe(false);
    await expect(createConditionalLeaseStore(backend, { host: "d", pid: 2 }).acquire("ingest-long", { ttlMs: 600 })).rejects.toBeInstanceOf(LeaseBusyError);
    await held.release();
  });
});

describe("LanceDB on plain s3:// where the store honours conditional PUT", () => {
  it("keeps every commit of two connections writing at once", async () => {
    const uri = `s3://${conditional.bucket}/${nextPrefix("commits")}`;
    const open = () => openLanceStore({ uri, storageOptions: lanceStorageOptions(conditional.env) });
    const [a, b] = await Promise.all([open(), open()]);
    const model = { embedModel: "nvidia/nv-embedqa-e5-v5", dims: 8 };
    await (await a.openCollection("docs", model)).writeDocuments([{ documentId: "seed", chunks: [chunk("seed", 0, basis(8, 0))] }]);
    const [ca, cb] = await Promise.all([a.openCollection("docs", model), b.openCollection("docs", model)]);
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? ca : cb).writeDocuments([{ documentId: `doc${i}`, chunks: [chunk(`doc${i}`, 0, basis(8, i))] }])));
    const check = await open();
    expect((await (await check.openCollection("docs", model)).listDocuments()).map((d) => d.documentId).sort()).toEqual(["seed", ...Array.from({ length: 12 }, (_, i) => `doc${i}`)].sort());
    await Promise.all([a.close(), b.close(), check.close()]);
  }, 120_000);
});

describe("the server and the ingest command on s3+ddb://", () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let root: string;
  let uri: string;

  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim", apiKey: "test-key" });
    root = await mkdtemp(path.join(tmpdir(), "askdocs-objstore-"));
    uri = s3.uri(nextPrefix("api"));
    server = await startServer(childEnv(fake, uri, s3.env), 60_000);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Parsed by a Prometheus text parser (it throws on malformed lines); it folds labelled histograms together, so their `_count` series are also read from the text. */
  const metrics = async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    return { text, families: parsePrometheusTextFormat(text) };
  };
  const value = ({ families }: Awaited<ReturnType<typeof metrics>>, name: string, labels: Record<string, string> = {}) =>
    families
      .find((f) => f.name === name)
      ?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((sum, m) => sum + Number(m.value ?? 0), 0) ?? 0;
  const histogramCount = ({ text, families }: Awaited<ReturnType<typeof metrics>>, name: string, labels: Record<string, string>) => {
    expect(families.find((f) => f.name === name)?.type).toBe("HISTOGRAM");
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    return [...text.matchAll(new RegExp(`^${name}_count\\{([^}]*)\\} (\\d+)$`, "gm"))].filter((m) => wanted.every((w) => m[1]!.split(",").includes(w))).reduce((sum, m) => sum + Number(m[2]), 0);
  };

  it("ingests with the command (no local folder named after the URI), serves uploads and searches, and reports its role in /health", async () => {
    const docs = path.join(root, "docs");
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, "lighthouse.md"), "# Lighthouse\n\nThe lighthouse keeper lit the lamp at dusk every evening of the winter storms.\n");
    const run = await runIngestCommand([docs], childEnv(fake, uri, s3.env));
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(REPO_ROOT, "s3+ddb:"))).toBe(false);
    expect(existsSync(path.join(REPO_ROOT, ".askdocs-locks"))).toBe(false);

    const harbour = "# Harbour\n\nThe harbour master raised the storm signal at noon on the day of the great gale.\n";
    const form = new FormData();
    form.append("file", new File([harbour], "harbour.md"));
    const upload = await fetch(`${server.url}/v1/documents`, { method: "POST", body: form });
    expect(upload.status).toBe(201);
    // The original is kept in the bucket beside the tables, so any replica can serve it.
    const { document_id } = (await upload.json()) as { document_id: string };
    const source = await fetch(`${server.url}/v1/documents/${document_id}/source?collection=default`);
    expect(source.status).toBe(200);
    expect(await source.text()).toBe(harbour);

    // READ_CONSISTENCY_MS defaults to 5 s on object storage: the command's write shows within it.
    const deadline = Date.now() + 15_000;
    let sources: string[] = [];
    while (Date.now() < deadline) {
      const search = await fetch(`${server.url}/v1/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "lighthouse lamp storm signal", mode: "keyword", top_k: 5 }),
      });
      expect(search.status).toBe(200);
      sources = ((await search.json()) as { results: { source: string }[] }).results.map((r) => r.source);
      if (sources.some((s) => s.endsWith("lighthouse.md")) && sources.includes("harbour.md")) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(sources).toContain("harbour.md");
    expect(sources.some((s) => s.endsWith("lighthouse.md"))).toBe(true);

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { store: object }).store).toMatchObject({ ok: true, backend: "s3+ddb", read_consistency_ms: 5000, upkeep: "on" });
  }, 120_000);

  it("/metrics parses as Prometheus text and its counters move with requests", async () => {
    const before = await metrics();
    const searches = value(before, "askdocs_http_requests_total", { route: "/v1/search", status: "200" });
    for (let i = 0; i < 3; i++) {
      await fetch(`${server.url}/v1/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "storm", mode: "hybrid" }) });
    }
    // The request id reaches the provider (embedding of the query) and the error body.
    const traced = await fetch(`${server.url}/v1/search`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "trace-41" }, body: JSON.stringify({ query: "storm signal", mode: "vector" }) });
    expect(traced.headers.get("x-request-id")).toBe("trace-41");
    expect(fake.requests.some((r) => r.path.endsWith("/embeddings") && r.headers["x-request-id"] === "trace-41")).toBe(true);
    const notFound = await fetch(`${server.url}/v1/nowhere`, { headers: { "x-request-id": "trace-42" } });
    expect(notFound.headers.get("x-request-id")).toBe("trace-42");
    expect(((await notFound.json()) as { error: { request_id: string } }).error.request_id).toBe("trace-42");

    const after = await metrics();
    expect(value(after, "askdocs_http_requests_total", { route: "/v1/search", status: "200" })).toBe(searches + 4);
    expect(value(after, "askdocs_http_requests_total", { route: "unmatched", status: "404" })).toBeGreaterThanOrEqual(1);
    expect(histogramCount(after, "askdocs_http_request_duration_seconds", { route: "/v1/search" })).toBeGreaterThanOrEqual(searches + 4);
    expect(histogramCount(after, "askdocs_search_duration_seconds", { mode: "hybrid" })).toBeGreaterThanOrEqual(3);
    expect(histogramCount(after, "askdocs_provider_queue_wait_seconds", { provider: "NVIDIA NIM" })).toBeGreaterThan(0);
    expect(value(after, "askdocs_provider_requests_total", { outcome: "ok" })).toBeGreaterThan(value(before, "askdocs_provider_requests_total", { outcome: "ok" }));
    expect(value(after, "askdocs_ingest_files_total", { status: "ingested" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "askdocs_store_documents", { collection: "default" })).toBe(2);
    expect(value(after, "askdocs_store_up")).toBe(1);
  }, 60_000);
});
