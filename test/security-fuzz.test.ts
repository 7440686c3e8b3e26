import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { type HostileRequest, createHostileRequests } from "./helpers/hostile-requests.js";
import { type InProcessServer, rawRequest, startInProcessServer } from "./helpers/in-process-server.js";

/**
 * No request makes a 5xx: a seeded generator (test/helpers/hostile-requests.ts) drives
 * every route with random and malformed bodies, headers and multipart, against the real
 * app on a real socket over a real LanceDB directory, with the fake provider for NIM. Every answer must be below 500,
 * every error must have the usual shape, nothing may reach the unhandled-error log, and
 * the server must still answer afterwards. FUZZ_SEED and FUZZ_CASES replay or widen a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const PARALLEL = 6;

let root: string;
let server: InProcessServer;
let fake: FakeProvider;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "askdocs-fuzz-"));
  fake = await startFakeProvider();
  server = await startInProcessServer({
    LANCEDB_URI: path.join(root, "lancedb"),
    MAX_UPLOAD_MB: "1",
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: fake.url,
    NVCF_STATUS_URL: fake.statusUrl,
    NIM_RPM: "100000",
    NIM_CONCURRENCY: "16",
  });
  // Something to find, so that searches and questions reach the store and the answer code.
  const form = new FormData();
  form.append("file", new File(["# Tide pools\n\nAnemones and crabs live in tide pools between the tides.\n"], "tide.md"));
  form.append("collection", "fuzz");
  const seeded = await fetch(`${server.url}/v1/documents`, { method: "POST", body: form });
  expect(seeded.status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function describeCase(n: number, request: HostileRequest): string {
  const body = typeof request.body === "string" ? request.body.slice(0, 300) : request.body ? `<${request.body.byteLength} bytes>` : "";
  return `seed ${SEED} case ${n}: ${request.method} ${request.path} ${JSON.stringify(request.headers)} ${JSON.stringify(body)}`;
}

describe("fuzz: hostile requests never make a 5xx", () => {
  it(`answers ${CASES} seeded hostile requests below 500 with the error shape, and stays up`, async () => {
    const next = createHostileRequests(SEED, `127.0.0.1:${server.port}`);
    const cases = Array.from({ length: CASES }, (_, n) => ({ n, request: next() }));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += PARALLEL) {
      await Promise.all(
        cases.slice(i, i + PARALLEL).map(async ({ n, request }) => {
          const response = await rawRequest(server.port, request).catch((error: Error) => ({ status: -1, headers: {}, body: error.message }));
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status < 100 || response.status >= 500) {
            failures.push(`${describeCase(n, request)}\n  -> ${response.status} ${response.body.slice(0, 300)}`);
            return;
          }
          if (response.status >= 400 && request.method !== "HEAD") {
            let shape: { error?: { code?: unknown; message?: unknown } } | undefined;
            try {
              shape = JSON.parse(response.body);
            } catch {
              shape = undefined;
            }
            if (typeof shape?.error?.code !== "string" || typeof shape.error.message !== "string") {
              failures.push(`${describeCase(n, request)}\n  -> ${response.status} without the error shape: ${response.body.slice(0, 300)}`);
            }
          }
        }),
      );
    }
    console.log(`fuzz seed ${SEED}: ${CASES} cases; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(failures.slice(0, 5), `${failures.length} bad answers`).toEqual([]);
    expect(server.errors).toEqual([]);
    // A mix of outcomes: the generator reaches the handlers, not only the guards.
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(CASES / 20);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  }, 600_000);
});
