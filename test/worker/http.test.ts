/**
 * askdocs's HTTP contract against the Worker entry (src/worker.ts) in workerd: D1 in
 * Miniflare, the Vectorize stand-in bound as VECTORIZE, the fake NIM provider (running
 * in the Node host) reached over loopback fetch. Health, models, collections, search,
 * ask as JSON and as SSE, uploads of real files (a PDF, Markdown), listing and deleting,
 * errors, auth, the Workers AI embedder, and a bad configuration.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { createWorker, type WorkerEnv } from "../../src/worker.js";
import { fakeEmbedding } from "../fake-provider/vectors.js";
import { createFakeVectorize } from "./fake-vectorize.js";

const worker = createWorker({ providers: { baseDelayMs: 5 }, logger: silentLogger });
const KEY = "rag-secret-key-123";

function workerEnv(extra: Record<string, unknown> = {}): WorkerEnv {
  return {
    DB: env.DB,
    VECTORIZE: createFakeVectorize({ dimensions: 1024, metadataIndexes: ["documentId"] }),
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: env.FAKE_PROVIDER_URL,
    NVCF_STATUS_URL: env.FAKE_PROVIDER_STATUS_URL,
    NIM_RPM: "100000",
    PROVIDER_MAX_RETRIES: "1",
    MAX_UPLOAD_MB: "1",
    SAMPLE_DOCS: "",
    ...extra,
  };
}

const main = workerEnv();
const call = (path: string, init: RequestInit & { json?: unknown } = {}, bindings: WorkerEnv = main) => {
  const { json, ...rest } = init;
  const request = new Request(`https://askdocs.example.workers.dev${path}`, json === undefined ? rest : { ...rest, method: rest.method ?? "POST", headers: { "content-type": "application/json", ...rest.headers }, body: JSON.stringify(json) });
  return worker.fetch(request, bindings);
};
const upload = (content: string | ArrayBuffer | Uint8Array, name: string, collection: string, bindings: WorkerEnv = main, headers: HeadersInit = {}) => {
  const form = new FormData();
  form.append("file", new File([content], name));
  form.append("collection", collection);
  return call("/v1/documents", { method: "POST", body: form, headers }, bindings);
};
async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string; details?: { path: string }[] } };
  expect(body.error.code).toBe(code);
  return body.error;
}
async function sse(response: Response): Promise<{ event: string; data: string }[]> {
  const text = await response.text();
  return text.split("\n\n").filter((block) => block.trim() !== "").map((block) => ({
    event: /^event: (.*)$/m.exec(block)?.[1] ?? "message",
    data: block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"),
  }));
}

const NOTE = "# Lighthouse keepers\n\nThe keeper of the Skerry Point light logged the lamp at dusk every evening in a brass-bound ledger.\n\n## Automation\n\nAfter 1931 the Skerry Point light ran on an automatic acetylene burner.\n";
const ZH_NOTE = "# 长城\n\n长城是中国古代的军事防御工程，绵延数千公里。明朝时修建的长城最为完整。\n";

beforeAll(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM chunks"), env.DB.prepare("DELETE FROM collections")]);
  expect((await upload(NOTE, "notes/keepers.md", "docs")).status).toBe(201);
  expect((await upload(ZH_NOTE, "notes/great-wall.md", "docs")).status).toBe(201);
  expect((await upload(env.PDF_FOUR_PAGES, "four-pages.pdf", "docs")).status).toBe(201);
});

describe("the Worker", () => {
  it("GET /health reports D1 and the providers", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ok",
      store: { ok: true, collections: 1 },
      embedding: { configured: true, model: "nvidia/nv-embedqa-e5-v5" },
      chat: { default: "nim:meta/llama-3.3-70b-instruct", providers: [{ provider: "nim", configured: true }, { provider: "qiniu", configured: false }, { provider: "openai", configured: false }] },
    });
  });

  it("GET /v1/models lists NIM's chat models through fetch", async () => {
    const body = (await (await call("/v1/models")).json()) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toContain("nim:deepseek-ai/deepseek-r1");
  });

  it("GET /v1/collections and /v1/documents count what was uploaded, a PDF with its pages", async () => {
    const collections = (await (await call("/v1/collections")).json()) as { data: { name: string; documents: number; chunks: number; embed_model: string; dims: number }[] };
    expect(collections.data).toHaveLength(1);
    expect(collections.data[0]).toMatchObject({ name: "docs", documents: 3, embed_model: "nvidia/nv-embedqa-e5-v5", dims: 1024 });
    const list = (await (await call("/v1/documents?collection=docs")).json()) as { data: { source: string; title: string; chunks: number; content_hash: string }[] };
    expect(list.data.map((d) => d.source)).toEqual(["four-pages.pdf", "great-wall.md", "keepers.md"]);
    expect(list.data.reduce((n, d) => n + d.chunks, 0)).toBe(collections.data[0]!.chunks);
    const pdfHits = (await (await call("/v1/search", { json: { query: "blind text alphabet", collection: "docs", mode: "keyword", top_k: 3 } })).json()) as { results: { source: string; page: number }[] };
    expect(pdfHits.results[0]).toMatchObject({ source: "four-pages.pdf", page: expect.any(Number) });
  });

  it("POST /v1/search finds passages in hybrid, vector and keyword modes, in English and Chinese", async () => {
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const response = await call("/v1/search", { json: { query: "Who logged the lamp at Skerry Point?", collection: "docs", top_k: 2, mode } });
      expect(response.status).toBe(200);
      const { results, mode: used } = (await response.json()) as { results: { text: string; score: number; source: string }[]; mode: string };
      expect(used).toBe(mode);
      expect(results.length).toBeGreaterThan(0);
      expect(results[0]!.text).toContain("ledger");
      expect(results.map((r) => r.score)).toEqual(results.map((r) => r.score).sort((a, b) => b - a));
    }
    const zh = (await (await call("/v1/search", { json: { query: "长城有多长？", collection: "docs", top_k: 1, mode: "keyword" } })).json()) as { results: { source: string }[] };
    expect(zh.results[0]!.source).toBe("great-wall.md");
  });

  it("POST /v1/ask answers as JSON with citations", async () => {
    const response = await call("/v1/ask", { json: { question: "What did the keeper of the Skerry Point light log at dusk?", collection: "docs" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { answer: string; citations: { n: number; cited: boolean; text: string }[]; model: string; answer_mode: string };
    expect(body.model).toBe("nim:meta/llama-3.3-70b-instruct");
    expect(body.answer_mode).toBe("generative");
    expect(body.answer).toMatch(/lamp/);
    expect(body.citations.filter((c) => c.cited).length).toBeGreaterThan(0);
  });

  it("POST /v1/ask streams SSE: citations, deltas, done", async () => {
    const response = await call("/v1/ask", { json: { question: "What did the keeper of the Skerry Point light log at dusk?", collection: "docs", stream: true, model: "nim:deepseek-ai/deepseek-r1" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await sse(response);
    expect(events.map((e) => e.event).join(" ")).toMatch(/^citations( reasoning)*( delta)+ done$/);
    const answer = events.filter((e) => e.event === "delta").map((e) => (JSON.parse(e.data) as { text: string }).text).join("");
    expect(answer).toMatch(/lamp/);
  });

  it("replaces a re-uploaded document (201), leaves identical bytes alone (200), deletes (200, then 404)", async () => {
    const created = (await (await upload("# Tides\n\nTide pools form at low tide.\n", "tides.md", "scratch")).json()) as { document_id: string; status: string };
    expect(created.status).toBe("ingested");
    const same = await upload("# Tides\n\nTide pools form at low tide.\n", "tides.md", "scratch");
    expect(same.status).toBe(200);
    expect(((await same.json()) as { status: string }).status).toBe("unchanged");
    const changed = await upload("# Tides\n\nRock pools hold small fish.\n", "tides.md", "scratch");
    expect(changed.status).toBe(201);
    const search = (await (await call("/v1/search", { json: { query: "pools", collection: "scratch", mode: "keyword", top_k: 10 } })).json()) as { results: { text: string }[] };
    expect(search.results.map((r) => r.text)).toEqual([expect.stringContaining("small fish")]);
    expect((await call(`/v1/documents/${created.document_id}?collection=scratch`, { method: "DELETE" })).status).toBe(200);
    await expectError(await call(`/v1/documents/${created.document_id}?collection=scratch`, { method: "DELETE" }), 404, "not_found");
  });

  it("keeps an upload's relative `source` (a/README.md and b/README.md are two documents) and lists the chunk settings", async () => {
    const withSource = (content: string, source: string) => {
      const form = new FormData();
      form.append("file", new File([content], "README.md"));
      form.append("collection", "sources");
      form.append("source", source);
      return call("/v1/documents", { method: "POST", body: form });
    };
    expect((await withSource("# A\n\nFirst readme.\n", "a/README.md")).status).toBe(201);
    expect((await withSource("# B\n\nSecond readme.\n", "b/README.md")).status).toBe(201);
    const list = (await (await call("/v1/documents?collection=sources")).json()) as { chunk_settings: string; data: { source: string }[] };
    expect(list.data.map((d) => d.source)).toEqual(["a/README.md", "b/README.md"]);
    expect(list.chunk_settings).toMatch(/^chunker-\d+:nvidia\/nv-embedqa-e5-v5:/);
    for (const bad of ["../etc/passwd.md", "/abs/x.md", "a\\b.md"]) {
      const error = await expectError(await withSource("x", bad), 400, "invalid_request");
      expect(error.details).toEqual([expect.objectContaining({ path: "source" })]);
    }
  });

  it("refuses bad uploads with 4xx: encrypted PDF 422, unsupported type 415, too large 413", async () => {
    const encrypted = await expectError(await upload(env.PDF_ENCRYPTED, "secret.pdf", "scratch"), 422, "encrypted_pdf");
    expect(encrypted.message).toMatch(/^secret\.pdf: /);
    await expectError(await upload("PK\u0003\u0004", "report.docx", "scratch"), 415, "unsupported_type");
    await expectError(await upload(new Uint8Array(1024 * 1024 + 10 * 1024).fill(0x61), "big.txt", "scratch"), 413, "payload_too_large");
  });

  it("answers bad requests with 4xx naming the field, unknown routes and collections with 404", async () => {
    const error = await expectError(await call("/v1/search", { json: { query: "x", top_k: 0 } }), 400, "invalid_request");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "top_k" })]));
    await expectError(await call("/v1/ask", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }), 400, "invalid_request");
    await expectError(await call("/v1/search", { json: { query: "lamp", collection: "nowhere" } }), 404, "not_found");
    await expectError(await call("/v1/nothing"), 404, "not_found");
  });

  it("refuses a collection built by another embedding model with 409", async () => {
    const bge = workerEnv({ EMBED_MODEL: "baai/bge-m3", VECTORIZE: main.VECTORIZE });
    const error = await expectError(await call("/v1/search", { json: { query: "lamp", collection: "docs" } }, bge), 409, "embedding_model_mismatch");
    expect(error.message).toMatch(/nvidia\/nv-embedqa-e5-v5/);
  });

  it("wants RAG_API_KEY as a bearer token everywhere but /health, and never shows it", async () => {
    const locked = workerEnv({ RAG_API_KEY: KEY, VECTORIZE: main.VECTORIZE });
    expect((await call("/health", {}, locked)).status).toBe(200);
    const refused = await call("/v1/collections", {}, locked);
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(KEY);
    expect((await call("/v1/collections", { headers: { authorization: `Bearer ${KEY}` } }, locked)).status).toBe(200);
    expect((await call("/v1/collections", { headers: { authorization: "Bearer wrong" } }, locked)).status).toBe(401);
  });

  it("answers every request with a 500 naming the bad variable, never its secret, when the configuration is wrong", async () => {
    const bad = workerEnv({ NIM_BASE_URL: "https://integrate.api.nvidia.com/v1/chat/completions", NVIDIA_API_KEY: "nvapi-secret-value" });
    const error = await expectError(await call("/health", {}, bad), 500, "config_error");
    expect(error.message).toMatch(/NIM_BASE_URL/);
    expect(error.message).not.toContain("nvapi-secret-value");
    const unbound = workerEnv({ DB: undefined });
    expect((await expectError(await call("/health", {}, unbound), 500, "config_error")).message).toMatch(/DB: .*D1/);
    const noAi = workerEnv({ EMBED_PROVIDER: "workers-ai", EMBED_MODEL: "nvidia/nv-embedqa-e5-v5" });
    const message = (await expectError(await call("/health", {}, noAi), 500, "config_error")).message;
    expect(message).toMatch(/`AI`/);
    expect(message).toMatch(/EMBED_MODEL=baai\/bge-m3/);
  });

  it("embeds with Workers AI's @cf/baai/bge-m3 when EMBED_PROVIDER=workers-ai, 100 texts a call at most", async () => {
    const calls: { model: string; texts: number }[] = [];
    const ai = {
      async run(model: string, input: { text: string[] }) {
        calls.push({ model, texts: input.text.length });
        if (input.text.length > 100) throw new Error("AiError: too many inputs");
        return { shape: [input.text.length, 1024], data: input.text.map((t) => Array.from(fakeEmbedding(t))) };
      },
    };
    const workersAi = workerEnv({ AI: ai, EMBED_PROVIDER: "workers-ai", EMBED_MODEL: "baai/bge-m3", NVIDIA_API_KEY: undefined, VECTORIZE: createFakeVectorize({ dimensions: 1024 }) });
    const health = (await (await call("/health", {}, workersAi)).json()) as { embedding: { configured: boolean; model: string } };
    expect(health.embedding).toEqual({ configured: true, model: "baai/bge-m3" });
    const long = Array.from({ length: 30 }, (_, i) => `## Section ${i}\n\n${"Tide pools and rock pools hold anemones. ".repeat(30)}\n`).join("\n");
    expect((await upload(`# Pools\n\n${long}`, "pools.md", "bge", workersAi)).status).toBe(201);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.model === "@cf/baai/bge-m3" && c.texts <= 100)).toBe(true);
    const hits = (await (await call("/v1/search", { json: { query: "anemones", collection: "bge", mode: "vector", top_k: 1 } }, workersAi)).json()) as { results: { source: string }[] };
    expect(hits.results[0]!.source).toBe("pools.md");
  });
});
