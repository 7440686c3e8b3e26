/**
 * Graceful operation of the real server: SIGTERM lets an answer stream in flight finish
 * (within SHUTDOWN_GRACE_MS) and exits 0; a stream longer than the grace period is cut and
 * the process still exits promptly; `/health` turns 503 within seconds when the object
 * store stops answering.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { startLocalObjectStore } from "./helpers/local-object-store.js";
import { type RunningServer, type SseEvent, childEnv, readSse, startServer, until } from "./helpers/server.js";

let fake: FakeProvider;
let root: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({ flavor: "nim" });
  root = await mkdtemp(path.join(tmpdir(), "askdocs-graceful-"));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop(1000)));
  await fake.close();
  await rm(root, { recursive: true, force: true });
});

async function serverWithDocument(name: string, extra: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(childEnv(fake, path.join(root, name), extra));
  servers.push(server);
  const form = new FormData();
  form.append("file", new File(["# Harbour\n\nThe harbour master raised the storm signal at noon on the day of the great gale.\n"], "harbour.md"));
  expect((await fetch(`${server.url}/v1/documents`, { method: "POST", body: form })).status).toBe(201);
  return server;
}

async function openStream(server: RunningServer): Promise<AsyncGenerator<SseEvent>> {
  const response = await fetch(`${server.url}/v1/ask`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question: "When was the storm signal raised?", stream: true }) });
  expect(response.status).toBe(200);
  return readSse(response);
}

describe("SIGTERM", () => {
  it("lets a stream in flight finish, then exits 0", async () => {
    const server = await serverWithDocument("drain", { SHUTDOWN_GRACE_MS: "20000" });
    fake.set({ streamChunkDelayMs: 150 });
    const events = await openStream(server);
    const first = await events.next();
    expect(first.done).toBe(false);
    server.child.kill("SIGTERM");
    const rest: string[] = [];
    for await (const event of events) rest.push(event.event);
    expect(rest.at(-1)).toBe("done");
    expect(rest.filter((e) => e === "delta").length).toBeGreaterThan(1);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.log).toMatch(/shutting down signal=SIGTERM/);
  }, 60_000);

  it("cuts a stream that outlasts SHUTDOWN_GRACE_MS and still exits promptly", async () => {
    const server = await serverWithDocument("cut", { SHUTDOWN_GRACE_MS: "500" });
    fake.set({ streamChunkDelayMs: 2000 });
    const events = await openStream(server);
    await events.next();
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    const rest: string[] = [];
    await (async () => {
      for await (const event of events) rest.push(event.event);
    })().catch(() => rest.push("cut"));
    expect(rest).not.toContain("done");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(8000);
    expect(server.log).toMatch(/grace period over/);
    fake.set({ streamChunkDelayMs: 0 });
  }, 60_000);
});

describe("readiness", () => {
  it("answers /health 503 within seconds once the object store stops answering (logging JSON lines with request ids)", async () => {
    const s3 = await startLocalObjectStore();
    const server = await startServer(childEnv(fake, s3.uri("ready"), { ...s3.env, LOG_FORMAT: "json" }), 60_000);
    servers.push(server);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await s3.close();
    const asked = Date.now();
    const down = await fetch(`${server.url}/health`);
    expect(Date.now() - asked).toBeLessThan(6000);
    expect(down.status).toBe(503);
    expect((await down.json()) as object).toMatchObject({ status: "unavailable", store: { ok: false, backend: "s3+ddb" } });
    const jsonLines = () => server.log.split("\n").filter((line) => line.startsWith("{"));
    await until(() => jsonLines().filter((line) => line.includes('"msg":"request"')).length >= 2, "two request lines");
    const lines = jsonLines();
    const requests = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === "request");
    expect(requests.map((r) => r.status)).toEqual([200, 503]);
    for (const r of requests) expect(r).toMatchObject({ level: "info", method: "GET", path: "/health", request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  }, 90_000);
});
