import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, type Citation, type CompatServer, REPO, splitSources, startCompatServer } from "./helpers/compat-server.js";

/**
 * The MCP server through the official SDK's client, over Streamable HTTP (`/mcp` in the
 * app) and over stdio (`askdocs mcp`, `npm run -s mcp` as child processes on the same
 * LanceDB). Its `ask` is `/v1/ask`, its `search` is `/v1/search`.
 */
let server: CompatServer;
const QUESTION = "Why are there two high tides a day?";
const TOOLS = ["ask", "list_collections", "list_documents", "search"];

beforeAll(async () => {
  server = await startCompatServer();
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function httpClient(key = API_KEY): Promise<Client> {
  const client = new Client({ name: "askdocs-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("");

/** The tools every transport must serve, checked against askdocs's own routes. */
async function checkTools(client: Client) {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
  for (const tool of tools) expect(tool.description!.length).toBeGreaterThan(40);
  const search = tools.find((t) => t.name === "search")!;
  expect(Object.keys(search.inputSchema.properties ?? {}).sort()).toEqual(["collection", "mode", "query", "top_k"]);
  expect(search.inputSchema.required).toEqual(["query"]);
  expect(tools.find((t) => t.name === "ask")!.inputSchema.required).toEqual(["question"]);

  const ask = await server.ask({ question: QUESTION, collection: "default" });
  const answered = (await client.callTool({ name: "ask", arguments: { question: QUESTION } })) as CallToolResult;
  expect(answered.isError).toBeFalsy();
  expect(splitSources(text(answered)).answer).toBe(ask.answer);
  expect(splitSources(text(answered)).listed).toEqual(ask.citations.filter((c) => c.cited).map((c) => c.n));
  expect((answered.structuredContent as { citations: Citation[] }).citations).toEqual(ask.citations);
  expect((answered.structuredContent as { answer: string }).answer).toBe(ask.answer);

  const searched = (await client.callTool({ name: "search", arguments: { query: "spring tides neap tides", collection: "default", top_k: 3, mode: "keyword" } })) as CallToolResult;
  const viaHttp = await fetch(`${server.url}/v1/search`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ query: "spring tides neap tides", collection: "default", top_k: 3, mode: "keyword" }),
  });
  const expected = (await viaHttp.json()) as { results: Array<{ source: string; page: number | null; heading: string; score: number }> };
  expect((searched.structuredContent as { results: unknown[] }).results).toEqual(expected.results);
  expect(expected.results[0]!.source).toBe("tides.md");
  expect(text(searched)).toMatch(/^\[1\] .*tides\.md.*score/);

  const collections = (await client.callTool({ name: "list_collections", arguments: {} })) as CallToolResult;
  expect((collections.structuredContent as { collections: Array<{ name: string; documents: number }> }).collections.map((c) => [c.name, c.documents]).sort()).toEqual([
    ["default", 3],
    ["shore", 2],
  ]);
  const documents = (await client.callTool({ name: "list_documents", arguments: { collection: "shore" } })) as CallToolResult;
  expect((documents.structuredContent as { documents: Array<{ source: string }> }).documents.map((d) => d.source).sort()).toEqual(["lighthouse.html", "tide-pools.md"]);

  // A tool's failure is a result the model can read, not a protocol error.
  const missing = (await client.callTool({ name: "ask", arguments: { question: QUESTION, collection: "nowhere" } })) as CallToolResult;
  expect(missing.isError).toBe(true);
  expect(text(missing)).toMatch(/nowhere.*does not exist/);
  const invalid = (await client.callTool({ name: "search", arguments: { query: "", top_k: 500 } })) as CallToolResult;
  expect(invalid.isError).toBe(true);
  expect(text(invalid)).toMatch(/top_k|query/);
}

/** A raw HTTP request, so that the Host header is ours to set. */
function rawPost(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${API_KEY}`, ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });

describe("MCP over Streamable HTTP at /mcp", () => {
  it("serves the tools, with the same answers and passages as /v1/ask and /v1/search", async () => {
    const client = await httpClient();
    try {
      expect(client.getServerVersion()?.name).toBe("askdocs");
      await checkTools(client);
    } finally {
      await client.close();
    }
  });

  it("sits behind the API key, and refuses a foreign Host or Origin (DNS rebinding)", async () => {
    await expect(httpClient("wrong-key")).rejects.toThrow(/401|Unauthorized|API key/i);
    const ok = await rawPost("/mcp", {}, INITIALIZE);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: 1, result: { serverInfo: { name: "askdocs" } } });
    const rebound = await rawPost("/mcp", { host: `evil.example:${new URL(server.url).port}` }, INITIALIZE);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/evil\.example/);
    const foreign = await rawPost("/mcp", { origin: "http://evil.example" }, INITIALIZE);
    expect(foreign.status).toBe(403);
    const own = await rawPost("/mcp", { origin: server.url }, INITIALIZE);
    expect(own.status).toBe(200);
  });
});

describe("MCP over stdio", () => {
  // `askdocs mcp` and `npm run -s mcp` run the compiled code in dist/ (`npm install` builds it):
  // a build older than the sources would test old code, so that is a failure of its own.
  it("runs from a build no older than the MCP sources", async () => {
    const built = (await stat(path.join(REPO, "dist/src/mcp-stdio.js")).catch(() => undefined))?.mtimeMs;
    expect(built, "dist/ is missing: run `npm run build`").toBeDefined();
    for (const source of ["src/mcp-stdio.ts", "src/mcp/server.ts", "src/http/present.ts", "src/http/schemas.ts"]) {
      expect((await stat(path.join(REPO, source))).mtimeMs, `${source} is newer than dist/: run \`npm run build\``).toBeLessThanOrEqual(built!);
    }
  });

  it("`askdocs mcp` serves the same tools and answers", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: ["bin/askdocs.mjs", "mcp"], cwd: REPO, env: server.childEnv(), stderr: "pipe" });
    let log = "";
    transport.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    const client = new Client({ name: "askdocs-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      await checkTools(client);
      expect(log).toMatch(/askdocs MCP server on stdio/);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("`npm run -s mcp` writes only protocol messages to stdout, logs to stderr, and exits when stdin closes", async () => {
    const child = spawn("npm", ["run", "-s", "mcp"], { cwd: REPO, env: server.childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    child.stdin.write(`${INITIALIZE}\n`);
    const deadline = Date.now() + 30_000;
    while (!stdout.includes("\n") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`);
    while (stdout.split("\n").length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.stdin.end();
    expect(await exited).toBe(0);
    const lines = stdout.split("\n").filter(Boolean);
    const messages = lines.map((line) => JSON.parse(line) as { id: number; result: { serverInfo?: { name: string }; tools?: Array<{ name: string }> } });
    expect(messages.map((m) => m.id)).toEqual([1, 2]);
    expect(messages[0]!.result.serverInfo!.name).toBe("askdocs");
    expect(messages[1]!.result.tools!.map((t) => t.name).sort()).toEqual(TOOLS);
    expect(stderr).toMatch(/askdocs MCP server on stdio/);
  }, 60_000);
});
