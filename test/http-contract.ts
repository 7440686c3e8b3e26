/**
 * askdocs's HTTP contract, one suite for every entry: run against the Node app over
 * LanceDB (test/http-contract.test.ts) and against the Worker in workerd over D1 and the
 * Vectorize stand-in (test/worker/http-contract.test.ts), both with the fake NIM provider.
 * Health, models, collections, search in three modes and in Chinese, ask as JSON and as
 * SSE, uploads of real files (a PDF, Markdown, a relative `source`), replace and delete,
 * 4xx naming the field, 409 for another embedding model, bearer auth. Runtime-agnostic:
 * only web-standard Request/Response.
 */
import { beforeAll, describe, expect, it } from "vitest";

export interface HttpTarget {
  fetch(request: Request): Promise<Response>;
}

export interface HttpContractSubject {
  /**
   * The entry over the subject's store (empty at first, shared by every target it opens),
   * configured with the fake NIM provider (`NVIDIA_API_KEY=test-key`), `MAX_UPLOAD_MB=1`,
   * the default embedding model, plus `vars`.
   */
  open(vars?: Record<string, string>): Promise<HttpTarget>;
  /** Real PDFs from test/fixtures/pdfs: 004 (pdfLaTeX, 4 pages) and 005 (password-protected). */
  pdfs: { fourPages: Uint8Array<ArrayBuffer> | ArrayBuffer; encrypted: Uint8Array<ArrayBuffer> | ArrayBuffer };
}

const KEY = "rag-secret-key-123";
const NOTE =
  "# Lighthouse keepers\n\nThe keeper of the Skerry Point light logged the lamp at dusk every evening in a brass-bound ledger.\n\n## Automation\n\nAfter 1931 the Skerry Point light ran on an automatic acetylene burner.\n";
const ZH_NOTE = "# 长城\n\n长城是中国古代的军事防御工程，绵延数千公里。明朝时修建的长城最为完整。\n";

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string; details?: { path: string }[] } };
  expect(body.error.code).toBe(code);
  return body.error;
}

async function sse(response: Response): Promise<{ event: string; data: string }[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? "message",
      data: block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n"),
    }));
}

export function describeHttpContract(name: string, setup: () => Promise<HttpContractSubject>): void {
  describe(`HTTP contract: ${name}`, () => {
    let subject: HttpContractSubject;
    let main: HttpTarget;
    let pdfs: HttpContractSubject["pdfs"];

    const call = (path: string, init: RequestInit & { json?: unknown } = {}, target: HttpTarget = main) => {
      const { json, ...rest } = init;
      const request = new Request(
        `http://askdocs.test${path}`,
        json === undefined ? rest : { ...rest, method: rest.method ?? "POST", headers: { "content-type": "application/json", ...rest.headers }, body: JSON.stringify(json) },
      );
      return target.fetch(request);
    };
    const upload = (content: string | ArrayBuffer | Uint8Array<ArrayBuffer>, name: string, collection: string) => {
      const form = new FormData();
      form.append("file", new File([content], name));
      form.append("collection", collection);
      return call("/v1/documents", { method: "POST", body: form });
    };

    beforeAll(async () => {
      subject = await setup();
      pdfs = subject.pdfs;
      main = await subject.open();
      expect((await upload(NOTE, "notes/keepers.md", "docs")).status).toBe(201);
      expect((await upload(ZH_NOTE, "notes/great-wall.md", "docs")).status).toBe(201);
      expect((await upload(pdfs.fourPages, "four-pages.pdf", "docs")).status).toBe(201);
    });

    it("GET /health reports the store and the providers", async () => {
      const response = await call("/health");
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: "ok",
        store: { ok: true, collections: 1 },
        embedding: { configured: true, model: "nvidia/nv-embedqa-e5-v5" },
        chat: {
          default: "nim:meta/llama-3.3-70b-instruct",
          providers: [
            { provider: "nim", configured: true },
            { provider: "qiniu", configured: false },
            { provider: "openai", configured: false },
          ],
        },
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
      const answer = events
        .filter((e) => e.event === "delta")
        .map((e) => (JSON.parse(e.data) as { text: string }).text)
        .join("");
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
      const encrypted = await expectError(await upload(pdfs.encrypted, "secret.pdf", "scratch"), 422, "encrypted_pdf");
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
      const bge = await subject.open({ EMBED_MODEL: "baai/bge-m3" });
      const error = await expectError(await call("/v1/search", { json: { query: "lamp", collection: "docs" } }, bge), 409, "embedding_model_mismatch");
      expect(error.message).toMatch(/nvidia\/nv-embedqa-e5-v5/);
    });

    it("wants RAG_API_KEY as a bearer token everywhere but /health, and never shows it", async () => {
      const locked = await subject.open({ RAG_API_KEY: KEY });
      expect((await call("/health", {}, locked)).status).toBe(200);
      const refused = await call("/v1/collections", {}, locked);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain(KEY);
      expect((await call("/v1/collections", { headers: { authorization: `Bearer ${KEY}` } }, locked)).status).toBe(200);
      expect((await call("/v1/collections", { headers: { authorization: "Bearer wrong" } }, locked)).status).toBe(401);
    });
  });
}
