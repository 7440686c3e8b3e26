import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { envSchema, loadConfig } from "../src/config.js";
import { configuredLogger, createConsoleLogger } from "../src/logger.js";
import { createPacer } from "../src/providers/pacing.js";
import { createRedactor } from "../src/providers/redact.js";
import { createTransport } from "../src/providers/transport.js";
import { ECHO_STYLES, type EchoProvider, leakedPart, startEchoProvider } from "./helpers/echo-provider.js";
import { type RunningServer, childEnv, readSse, runIngestCommand, startServer } from "./helpers/server.js";

/**
 * Secrets never leave askdocs, even when a provider echoes them: a hostile provider
 * (test/helpers/echo-provider.ts) answers every call with the caller's key echoed whole,
 * cut short, `\u`-escaped, in SSE error events, as non-JSON SSE lines and as a non-SSE
 * body, and every HTTP route, the server's log and the ingest command's output are
 * searched for any 8-character piece of any configured secret.
 */
const NIM_KEY = "nvapi-ECHO-7f3a9c-0123456789abcdef";
const RAG_KEY = "rag-SECRET-b81d44e0c2a7";
const QINIU_KEY = "qiniu-SECRET-55aa10ffee93";
const EMBED_KEY = "embed-SECRET-0c0ffee1234";
const SECRETS = [NIM_KEY, RAG_KEY, QINIU_KEY, EMBED_KEY];
const FIXTURES = path.resolve(import.meta.dirname, "fixtures/ingest");

let root: string;
let lancedb: string;
let echo: EchoProvider;
let server: RunningServer;

const auth = { authorization: `Bearer ${RAG_KEY}` };

function expectNoLeak(where: string, text: string) {
  const part = leakedPart(text, SECRETS);
  expect(part, `${where} leaked "${part}" in:\n${text.slice(0, 2000)}`).toBeUndefined();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "askdocs-redact-"));
  lancedb = path.join(root, "lancedb");
  const docs = path.join(root, "docs");
  await mkdir(docs);
  await copyFile(path.join(FIXTURES, "tide-pools.md"), path.join(docs, "tide-pools.md"));
  // A keyword-only collection (no provider key), so /v1/ask reaches the chat model without embedding.
  const seeded = await runIngestCommand([docs, "--collection", "docs"], childEnv(undefined, lancedb));
  expect(seeded.code, seeded.stderr).toBe(0);
  echo = await startEchoProvider([RAG_KEY, QINIU_KEY, EMBED_KEY]);
  server = await startServer(
    childEnv(undefined, lancedb, {
      NVIDIA_API_KEY: NIM_KEY,
      NIM_BASE_URL: echo.url,
      QINIU_API_KEY: QINIU_KEY,
      EMBED_API_KEY: EMBED_KEY,
      RAG_API_KEY: RAG_KEY,
      PROVIDER_MAX_RETRIES: "0",
      NIM_RPM: "100000",
    }),
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await echo?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("redaction of echoed secrets", () => {
  it("redacts whole, partial and escaped echoes, decoded or not", () => {
    const redact = createRedactor([NIM_KEY, "short"]);
    expect(redact(`key ${NIM_KEY} end`)).toBe("key [redacted] end");
    expect(redact(`starts ${NIM_KEY.slice(0, 9)}…`)).toBe("starts [redacted]…");
    expect(redact(`mid ${NIM_KEY.slice(5, 13)} x`)).toBe("mid [redacted] x");
    expect(leakedPart(redact(JSON.stringify(NIM_KEY).replace(/[a-z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)), [NIM_KEY])).toBeUndefined();
    expect(redact("a short secret")).toBe("a [redacted] secret");
    // Seven characters of a key is not a leak worth mangling ordinary text for.
    expect(redact(`tail ${NIM_KEY.slice(-7)}`)).toBe(`tail ${NIM_KEY.slice(-7)}`);
  });

  it("the console logger redacts every line it writes (a last guard behind the provider clients)", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      createConsoleLogger(createRedactor(SECRETS)).error("unhandled error", { error: `upstream said ${RAG_KEY.slice(3, 15)} and ${NIM_KEY}` });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("upstream said [redacted] and [redacted]");
  });

  it("every entry point's logger redacts every secret variable of the configuration (OCR_API_KEY was once left out)", () => {
    const secretNames = Object.keys(envSchema.shape).filter((name) => /(_KEY|_KEY_ID|_SECRET_ACCESS_KEY|_TOKEN)$/.test(name) && name !== "CONTEXT_TOKENS");
    expect(secretNames.length).toBeGreaterThanOrEqual(10);
    // Random values: no two share a run long enough for partial-echo redaction to hide a miss.
    const env = Object.fromEntries(secretNames.map((name) => [name, crypto.randomUUID().replaceAll("-", "")]));
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      configuredLogger(loadConfig(env)).error("echoed", { body: Object.values(env).join(" ") });
    } finally {
      spy.mockRestore();
    }
    for (const [name, value] of Object.entries(env)) expect(lines[0], name).not.toContain(value.slice(10, 22));
  });

  it.each(ECHO_STYLES)(
    "no HTTP route returns a piece of any secret when the provider echoes it (%s)",
    async (style) => {
      echo.style = style;
      const before = echo.hits;
      const post = (route: string, body: unknown) => fetch(`${server.url}${route}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });

      const models = await fetch(`${server.url}/v1/models`, { headers: auth });
      const modelsText = await models.text();
      expectNoLeak("GET /v1/models", modelsText);
      expect(JSON.parse(modelsText).providers.some((p: { error?: string }) => p.error)).toBe(true);

      const search = await post("/v1/search", { query: "tide pools", collection: "docs" });
      expect(search.status).toBeGreaterThanOrEqual(400);
      expectNoLeak("POST /v1/search", await search.text());

      const ask = await post("/v1/ask", { question: "What lives in tide pools?", collection: "docs", mode: "keyword" });
      expect(ask.status).toBeGreaterThanOrEqual(400);
      expectNoLeak("POST /v1/ask", await ask.text());

      const streamed = await post("/v1/ask", { question: "What lives in tide pools?", collection: "docs", mode: "keyword", stream: true });
      const events = [];
      if (streamed.ok) for await (const event of readSse(streamed)) events.push(event);
      else events.push({ event: "http", data: await streamed.text() });
      expect(events.map((e) => e.event)).not.toContain("done");
      if (style === "sse-error" || style === "not-sse") expect(JSON.parse(events.find((e) => e.event === "error")!.data).code).toBe("provider_stream");
      for (const event of events) expectNoLeak(`POST /v1/ask stream (${event.event})`, event.data);

      const form = new FormData();
      form.append("file", new File(["# Echo\n\nA document about tide pools and anemones."], "echo.md"));
      form.append("collection", "uploads");
      const upload = await fetch(`${server.url}/v1/documents`, { method: "POST", headers: auth, body: form });

      expect(upload.status).toBeGreaterThanOrEqual(400);
      expectNoLeak("POST /v1/documents", await upload.text());

      // Every route above reached the provider (or nothing would have been echoed).
      expect(echo.hits - before).toBeGreaterThanOrEqual(5);
      expectNoLeak("server log", server.log);
    },
    120_000,
  );

  it.each(["plain", "escaped", "partial"] as const)(
    "the ingest command's output holds no piece of any secret (%s)",
    async (style) => {
      echo.style = style;
      const run = await runIngestCommand(
        [path.join(FIXTURES, "tide-pools.md"), "--collection", `echo-${style}`],
        childEnv(undefined, lancedb, { NVIDIA_API_KEY: NIM_KEY, NIM_BASE_URL: echo.url, QINIU_API_KEY: QINIU_KEY, EMBED_API_KEY: EMBED_KEY, RAG_API_KEY: RAG_KEY, PROVIDER_MAX_RETRIES: "0", NIM_RPM: "100000" }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^failed: /m);
      expectNoLeak("ingest stdout", run.stdout);
      expectNoLeak("ingest stderr", run.stderr);
    },
    120_000,
  );
});

describe("redirects", () => {
  it("never follows a provider's redirect with the key: the call fails naming where it pointed", async () => {
    const seen: string[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers.authorization ?? "");
      res.end("{}");
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const redirecting = createServer((_, res) => {
      res.writeHead(307, { location: `${target}/v1/embeddings` });
      res.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    try {
      const transport = createTransport({
        provider: "NVIDIA NIM",
        keyVariable: "NVIDIA_API_KEY",
        baseURL: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1`,
        apiKey: NIM_KEY,
        retry: { maxRetries: 0 },
        pacer: createPacer({ name: "test", rpm: 100_000, concurrency: 1 }),
      });
      const error = await transport.postJson("/embeddings", { input: ["x"] }, z.unknown()).catch((e: unknown) => e as Error);
      expect((error as Error).message).toBe(`NVIDIA NIM answered with a redirect (HTTP 307) to ${target}; askdocs does not follow redirects with the API key. Set the base URL to the final address.`);
      expect(seen).toEqual([]);
    } finally {
      redirecting.close();
      elsewhere.close();
    }
  });
});
