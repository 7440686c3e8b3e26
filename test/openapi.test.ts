import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApp } from "../src/http/app.js";
import * as responses from "../src/http/openapi/responses.js";
import { WEB_PATHS } from "../src/web/web-routes.js";
import { API_KEY, type CompatServer, startCompatServer } from "./helpers/compat-server.js";

/**
 * `/openapi.json` is a valid OpenAPI 3.1 document (checked by a real validator) naming every
 * route the app serves; the response schemas it is built from parse the real responses
 * (strictly, so the document and the routes cannot drift apart); `/reference` renders it
 * with no script and nothing fetched from elsewhere.
 */
let server: CompatServer;
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> } }>>;
}
let doc: Doc;

const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...init.headers } });
const post = (path: string, body: object, headers: Record<string, string> = {}) => call(path, { method: "POST", body: JSON.stringify(body), headers });

beforeAll(async () => {
  server = await startCompatServer();
  // Served without the key: tools read it before they are configured.
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  doc = (await response.json()) as Doc;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe("the OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    type Spec = Parameters<Validator["validate"]>[0];
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // The validator does catch a broken document: a response without its description.
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };
    delete broken.paths["/v1/ask"]!.post!.responses["200"]!.description;
    expect((await new Validator().validate(broken as unknown as Spec)).valid).toBe(false);
  });

  it("describes every route the app serves", () => {
    const served = createApp(server.rt)
      // The web page and its assets are HTML, CSS and script, not API.
      .routes.filter((r) => !WEB_PATHS.includes(r.path))
      .filter((r) => ["GET", "POST", "DELETE"].includes(r.method) || (r.method === "ALL" && r.path === "/mcp"))
      .map((r) => `${r.method === "ALL" ? "POST" : r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(served.length).toBeGreaterThan(10);
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it("takes its request bodies from the schemas that validate them", async () => {
    const body = (path: string) => doc.paths[path]!.post!.requestBody!.content["application/json"]!.schema;
    expect(body("/v1/ask").required).toEqual(["question"]);
    expect(Object.keys(body("/v1/ask").properties!)).toEqual(["question", "collection", "top_k", "model", "stream", "mode", "rerank"]);
    expect(body("/anthropic/v1/messages").required).toEqual(["model", "max_tokens", "messages"]);
    expect(body("/openai/v1/chat/completions").required).toEqual(["model", "messages"]);
    // The same rule, enforced by the route: max_tokens missing is a 400 that names it.
    const missing = await post("/anthropic/v1/messages", { model: "default", messages: [{ role: "user", content: "hi" }] });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain("max_tokens");
  });

  it("has response schemas that parse the real responses", async () => {
    const parse = async (schema: z.ZodType, response: Response, status = 200) => {
      expect(response.status).toBe(status);
      const parsed = schema.safeParse(await response.json());
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    };
    const question = "Why are there two high tides a day?";
    await parse(responses.askResponse, await post("/v1/ask", { question }));
    await parse(responses.searchResponse, await post("/v1/search", { query: question }));
    await parse(responses.collectionsResponse, await call("/v1/collections"));
    await parse(responses.documentsResponse, await call("/v1/documents?collection=shore"));
    await parse(responses.openaiModels, await call("/openai/v1/models"));
    await parse(responses.chatCompletion, await post("/openai/v1/chat/completions", { model: "default", messages: [{ role: "user", content: question }] }));
    await parse(responses.chatCompletion, await post("/openai/v1/chat/completions", { model: "default@nim:deepseek-ai/deepseek-r1", messages: [{ role: "user", content: question }] }));
    await parse(responses.anthropicMessage, await post("/anthropic/v1/messages", { model: "default@nim:deepseek-ai/deepseek-r1", max_tokens: 100, messages: [{ role: "user", content: question }] }));
    await parse(responses.askdocsErrorBody, await post("/v1/ask", { question: "" }), 400);
    await parse(responses.openaiErrorBody, await post("/openai/v1/chat/completions", { model: "nowhere", messages: [{ role: "user", content: question }] }), 404);
    await parse(responses.anthropicErrorBody, await post("/anthropic/v1/messages", { model: "default", max_tokens: 0, messages: [] }), 400);
  });
});

describe("the API reference page", () => {
  it("renders every operation from the document, without the key, with no script and nothing from elsewhere", async () => {
    const response = await fetch(`${server.url}/reference`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path}</code>`);
    expect(html).toContain("<code>max_tokens</code>");
    expect(html).not.toMatch(/<script|<link|<img|<iframe/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);
  });
});
