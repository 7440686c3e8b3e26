/**
 * End to end: the real ingest command seeds a real LanceDB directory, the real server runs
 * as a child process, and the fake provider (in this process) stands in for NIM. Documents
 * are XQuAD articles (CC BY-SA 4.0, test/fixtures/qa) in English and Chinese.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { citedNumbers, isChineseText } from "../src/answer/prompt.js";
import { openLanceStore } from "../src/store/lance-store.js";
import { type FakeProvider, type RecordedRequest, startFakeProvider } from "./fake-provider/index.js";
import { type RunningServer, type SseEvent, childEnv, readSse, runIngestCommand, startServer, until } from "./helpers/server.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** Warsaw, Nikola Tesla, Steam engine, Oxygen: the same articles in both languages. */
const ARTICLES = [1, 3, 11, 12];
/** XQuAD question ids whose answer sentence the fake's extractive "model" finds, in both languages. */
const QUESTIONS = ["5733834ed058e614000b5c26", "56dfa0d84a1a83140091ebb8", "571c9348dd7acb1400e4c114"] as const;
/** Distinctive, so a leak into a response or a log line cannot be a coincidence. */
const NIM_KEY = "nvapi-e2e-SECRET-7f3a9c";
const DEFAULT_MODEL = "nim:meta/llama-3.3-70b-instruct";

type Lang = "en" | "zh";
interface Squad {
  data: Array<{ title: string; paragraphs: Array<{ context: string; qas: Array<{ id: string; question: string; answers: Array<{ text: string }> }> }> }>;
}
interface Question {
  question: string;
  answer: string;
}
interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ path: string; message: string }> };
}
interface Hit {
  chunk_id: string;
  document_id: string;
  source: string;
  title: string;
  page: number | null;
  page_end: number | null;
  heading: string;
  text: string;
  score: number;
}
interface Citation extends Hit {
  n: number;
  cited: boolean;
  /** The chunks merged into this passage. */
  chunk_ids: string[];
}
interface AskResponse {
  answer: string;
  citations: Citation[];
  model: string | null;
  answer_mode: "generative" | "extractive";
  mode: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  reasoning?: string;
}

let fake: FakeProvider;
let root: string;
let lancedb: string;
const squads = {} as Record<Lang, Squad>;
/** Chunks the ingest command reported writing, per collection. */
const ingested = {} as Record<Lang, number>;
/** What the fake received while the ingest command ran. */
let ingestRequests: RecordedRequest[] = [];
const servers: RunningServer[] = [];

function question(lang: Lang, id: string): Question {
  for (const article of squads[lang].data) {
    for (const p of article.paragraphs) {
      const q = p.qas.find((qa) => qa.id === id);
      if (q) return { question: q.question, answer: q.answers[0]!.text };
    }
  }
  throw new Error(`no XQuAD question ${id} in ${lang}`);
}

/** `METHOD /path` of every request sent, per server, for the request-log check. */
const sent = new Map<string, string[]>();
/** fetch against a server, JSON bodies encoded; notes each request for the request-log check. */
function call(server: RunningServer, route: string, init: Omit<RequestInit, "body"> & { json?: unknown; body?: BodyInit } = {}): Promise<Response> {
  const { json, headers, ...rest } = init;
  sent.set(server.url, [...(sent.get(server.url) ?? []), `${rest.method ?? "GET"} ${route.split("?")[0]}`]);
  return fetch(`${server.url}${route}`, {
    ...rest,
    headers: { ...(json === undefined ? {} : { "content-type": "application/json" }), ...(headers as Record<string, string> | undefined) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

async function expectError(response: Response, status: number, code?: string): Promise<ErrorBody["error"]> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.code).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

async function collect(response: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(response)) events.push(event);
  return events;
}

const since = (mark: number, route: "chat/completions" | "embeddings") => fake.requests.slice(mark).filter((r) => r.path.endsWith(`/v1/${route}`));
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
/** The sentence the extractive fake answered with: the answer minus its `[n]` citation. */
const answerSentence = (answer: string) => answer.replace(/\s*\[\d+\]\s*$/, "").trim();

async function writeCorpus(dir: string, lang: Lang): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const i of ARTICLES) {
    const article = squads[lang].data[i]!;
    await writeFile(path.join(dir, `${article.title}.md`), `# ${article.title.replace(/_/g, " ")}\n\n${article.paragraphs.map((p) => p.context.trim()).join("\n\n")}\n`);
  }
}

beforeAll(async () => {
  for (const lang of ["en", "zh"] as const) {
    squads[lang] = JSON.parse(await readFile(path.join(FIXTURES, "qa", `xquad-part1.${lang}.json`), "utf8")) as Squad;
  }
  fake = await startFakeProvider({ flavor: "nim", apiKey: NIM_KEY });
  root = await mkdtemp(path.join(tmpdir(), "askdocs-api-"));
  lancedb = path.join(root, "lancedb");
  for (const lang of ["en", "zh"] as const) {
    const dir = path.join(root, "corpus", lang);
    await writeCorpus(dir, lang);
    const run = await runIngestCommand([dir, "--collection", lang], childEnv(fake, lancedb, { NVIDIA_API_KEY: NIM_KEY }));
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const chunks = /^chunks: (\d+) written/m.exec(run.stdout);
    expect(chunks, run.stdout).not.toBeNull();
    ingested[lang] = Number(chunks![1]);
  }
  ingestRequests = [...fake.requests];
}, 120_000);

afterAll(async () => {
  // Children first, whatever failed: a stray server would outlive the test run.
  const exits = await Promise.all(servers.map((s) => s.stop(5000)));
  await fake?.close();
  if (root) await rm(root, { recursive: true, force: true });
  // Every server shut down cleanly on SIGTERM (the main one is also checked in its own test).
  expect(exits).toEqual(servers.map(() => ({ code: 0, signal: null })));
});

afterEach(() => {
  fake.clearFaults();
  fake.set({ latencyMs: 0, streamChunkDelayMs: 0 });
});

async function launch(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

describe("the main server", () => {
  let main: RunningServer;

  beforeAll(async () => {
    main = await launch(childEnv(fake, lancedb, { NVIDIA_API_KEY: NIM_KEY, MAX_UPLOAD_MB: "1", PROVIDER_MAX_RETRIES: "1", PROVIDER_TIMEOUT_MS: "10000" }));
  });

  describe("routes", () => {
    it("GET /health reports the store and the providers ready", async () => {
      const response = await call(main, "/health");
      expect(response.status).toBe(200);
      // biome-ignore lint/suspicious/noExplicitAny: the test reads the /health body field by field
      const body = (await response.json()) as Record<string, any>;
      expect(body.status).toBe("ok");
      expect(body.store).toEqual({ ok: true, collections: 2, backend: "local", read_consistency_ms: 0, upkeep: "on" });
      expect(body.embedding).toEqual({ configured: true, model: "nvidia/nv-embedqa-e5-v5" });
      expect(body.chat.default).toBe(DEFAULT_MODEL);
      expect(body.chat.providers).toEqual([
        { provider: "nim", configured: true },
        { provider: "qiniu", configured: false },
        { provider: "openai", configured: false },
      ]);
    });

    it("GET /v1/models lists the NIM chat models, prefixed nim:, and says what the others need", async () => {
      const response = await call(main, "/v1/models");
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Array<{ id: string; provider: string; model: string; default: boolean }>; providers: Array<Record<string, unknown>> };
      expect(body.data.length).toBeGreaterThan(3);
      for (const m of body.data) {
        expect(m.id).toBe(`nim:${m.model}`);
        expect(m.provider).toBe("nim");
      }
      const ids = body.data.map((m) => m.id);
      expect(ids).toContain("nim:deepseek-ai/deepseek-r1");
      // Embedding and reranking models are not chat models.
      expect(ids.filter((id) => /embed|rerank/.test(id))).toEqual([]);
      expect(body.data.filter((m) => m.default).map((m) => m.id)).toEqual([DEFAULT_MODEL]);
      expect(body.providers).toEqual([
        { provider: "nim", configured: true },
        { provider: "qiniu", configured: false, needs: "QINIU_API_KEY" },
        { provider: "openai", configured: false, needs: expect.stringContaining("OPENAI_BASE_URL") },
      ]);
    });

    it("GET /v1/collections gives document and chunk counts matching the store", async () => {
      const response = await call(main, "/v1/collections");
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Array<{ name: string; embed_model: string; dims: number; documents: number; chunks: number }> };
      const store = await openLanceStore({ uri: lancedb });
      try {
        const inStore = await store.listCollections();
        expect(body.data.map((c) => c.name).sort()).toEqual(["en", "zh"]);
        for (const c of body.data) {
          const lang = c.name as Lang;
          const info = inStore.find((s) => s.name === c.name)!;
          expect(c).toEqual({ name: lang, embed_model: "nvidia/nv-embedqa-e5-v5", dims: 1024, documents: info.documents, chunks: info.chunks });
          expect(c.documents).toBe(ARTICLES.length);
          expect(c.chunks).toBe(ingested[lang]);
        }
      } finally {
        await store.close();
      }
    });

    it.each(["en", "zh"] as const)("POST /v1/search (%s) ranks the passage holding the XQuAD answer in the top k, best first", async (lang) => {
      for (const id of QUESTIONS) {
        const q = question(lang, id);
        const response = await call(main, "/v1/search", { method: "POST", json: { query: q.question, collection: lang, top_k: 3 } });
        expect(response.status).toBe(200);
        const { results } = (await response.json()) as { results: Hit[] };
        expect(results).toHaveLength(3);
        for (const hit of results) {
          expect(Object.keys(hit).sort()).toEqual(["chunk_id", "document_id", "heading", "page", "page_end", "score", "source", "text", "title"]);
          expect(hit.chunk_id).toMatch(new RegExp(`^${hit.document_id}:\\d+$`));
          expect(hit.document_id).toMatch(/^[0-9a-f]{32}$/);
          // Relative to the folder the ingest command was given: never an absolute server path.
          expect(hit.source).toMatch(/^[^/]+\.md$/);
          expect(hit.page).toBeNull(); // Markdown has no pages
          expect(typeof hit.heading).toBe("string");
          expect(hit.text.length).toBeGreaterThan(0);
        }
        const scores = results.map((r) => r.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        expect(
          results.some((r) => r.text.includes(q.answer)),
          `${lang} ${id}: "${q.answer}" not in the top 3`,
        ).toBe(true);
      }
    });

    it("POST /v1/search respects top_k and defaults to 6", async () => {
      const q = question("en", QUESTIONS[0]);
      const one = (await (await call(main, "/v1/search", { method: "POST", json: { query: q.question, collection: "en", top_k: 1 } })).json()) as { results: Hit[] };
      expect(one.results).toHaveLength(1);
      const all = (await (await call(main, "/v1/search", { method: "POST", json: { query: q.question, collection: "en" } })).json()) as { results: Hit[] };
      expect(all.results).toHaveLength(Math.min(6, ingested.en));
      expect(all.results[0]!.chunk_id).toBe(one.results[0]!.chunk_id);
    });
  });

  describe("answers with citations", () => {
    it.each(["en", "zh"] as const)("POST /v1/ask (%s) answers with the gold answer and cites the passage it came from", async (lang) => {
      for (const id of QUESTIONS) {
        const q = question(lang, id);
        const response = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: lang } });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        const body = (await response.json()) as AskResponse;
        expect(body.answer, `${lang} ${id}`).toContain(q.answer);
        expect(isChineseText(body.answer)).toBe(lang === "zh");
        expect(body.model).toBe(DEFAULT_MODEL);
        expect(body.answer_mode).toBe("generative");
        expect(body.usage!.prompt_tokens).toBeGreaterThan(0);
        expect(body.usage!.completion_tokens).toBeGreaterThan(0);
        expect(body.usage!.total_tokens).toBe(body.usage!.prompt_tokens + body.usage!.completion_tokens);
        expect(body.citations.map((c) => c.n)).toEqual(body.citations.map((_, i) => i + 1));
        const cited = body.citations.filter((c) => c.cited);
        expect(cited.map((c) => c.n)).toEqual(citedNumbers(body.answer, body.citations.length));
        expect(cited).toHaveLength(1);
        // The cited passage holds the sentence the answer quotes, and the gold answer.
        expect(oneLine(cited[0]!.text)).toContain(answerSentence(body.answer));
        expect(cited[0]!.text).toContain(q.answer);
      }
    });

    it("sends the provider a grounded prompt: numbered sources, cite [n], say when they lack the answer, answer in the question's language", async () => {
      for (const lang of ["en", "zh"] as const) {
        const q = question(lang, QUESTIONS[0]);
        const mark = fake.requests.length;
        const response = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: lang, top_k: 4 } });
        const body = (await response.json()) as AskResponse;
        expect(response.status).toBe(200);

        const embeds = since(mark, "embeddings");
        expect(embeds).toHaveLength(1);
        expect(embeds[0]!.body).toMatchObject({ input: [q.question], input_type: "query", model: "nvidia/nv-embedqa-e5-v5" });

        const chats = since(mark, "chat/completions");
        expect(chats).toHaveLength(1);
        const sent = chats[0]!.body as { model: string; stream: boolean; messages: Array<{ role: string; content: string }> };
        expect(sent.model).toBe("meta/llama-3.3-70b-instruct");
        expect(sent.stream).toBe(false);
        const [system, user] = sent.messages;
        expect(system!.role).toBe("system");
        expect(system!.content).toMatch(/\[1\]/);
        expect(system!.content).toMatch(/cite/i);
        expect(system!.content).toMatch(/do not contain the answer/i);
        expect(system!.content).toMatch(/language of the question/i);
        if (lang === "zh") expect(system!.content).toContain("用中文回答");
        expect(user!.role).toBe("user");
        // One numbered source per citation (neighbouring chunks merged: at most top_k), in the same order, then the question.
        expect(body.citations.length).toBeGreaterThan(0);
        expect(body.citations.flatMap((c) => c.chunk_ids).length).toBeLessThanOrEqual(4);
        let from = 0;
        for (const c of body.citations) {
          const at = user!.content.indexOf(`[${c.n}] ${oneLine(c.text)}`, from);
          expect(at, `source [${c.n}] in the prompt, after source [${c.n - 1}]`).toBeGreaterThanOrEqual(from);
          from = at + 1;
        }
        expect(user!.content.match(/^\[\d+\] /gm)).toEqual(body.citations.map((c) => `[${c.n}] `));
        expect(user!.content.trimEnd().endsWith(`Question: ${q.question}`)).toBe(true);
      }
    });

    it("embedded the chunks at ingest as passages", () => {
      const embeds = ingestRequests.filter((r) => r.path.endsWith("/v1/embeddings"));
      expect(embeds.length).toBeGreaterThan(0);
      for (const r of embeds) expect(r.body).toMatchObject({ input_type: "passage", model: "nvidia/nv-embedqa-e5-v5" });
      const inputs = embeds.reduce((n, r) => n + (r.body as { input: string[] }).input.length, 0);
      expect(inputs).toBe(ingested.en + ingested.zh);
    });
  });

  describe("streaming", () => {
    it.each(["nim:deepseek-ai/deepseek-r1", "nim:qwen/qwq-32b"])("streams citations, reasoning, deltas, then done (%s), reasoning never in deltas", async (model) => {
      const q = question("en", QUESTIONS[1]);
      const response = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: "en", model, stream: true } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = await collect(response);
      const kinds = events.map((e) => e.event);
      // Each kind in its place: citations once, all reasoning before any delta, done last.
      expect(kinds.join(" ")).toMatch(/^citations( reasoning)+( delta)+ done$/);

      const first = JSON.parse(events[0]!.data) as { citations: Citation[]; model: string };
      expect(first.model).toBe(model);
      expect(first.citations.length).toBeGreaterThan(0);
      expect(first.citations.map((c) => c.n)).toEqual(first.citations.map((_, i) => i + 1));
      expect(first.citations.every((c) => !c.cited)).toBe(true);

      const text = (kind: string) =>
        events
          .filter((e) => e.event === kind)
          .map((e) => (JSON.parse(e.data) as { text: string }).text)
          .join("");
      const reasoning = text("reasoning");
      const answer = text("delta");
      expect(reasoning).toMatch(/Looking for the sentence that answers/);
      expect(answer).toContain(q.answer);
      expect(answer).not.toMatch(/Looking for|think>/);
      expect(answer.trim()).toMatch(/\[\d\]$/);

      const done = JSON.parse(events.at(-1)!.data) as { cited: number[]; usage: { total_tokens: number } | null; model: string };
      expect(done.model).toBe(model);
      expect(done.cited).toEqual(citedNumbers(answer, first.citations.length));
      expect(done.cited.length).toBe(1);
      expect(done.usage!.total_tokens).toBeGreaterThan(0);
      // The cited passage holds the answer sentence.
      expect(oneLine(first.citations[done.cited[0]! - 1]!.text)).toContain(answerSentence(answer));
    });

    it("turns a provider error in mid-stream into an `error` event after some deltas, closes cleanly, and keeps serving", async () => {
      fake.inject({ type: "stream-error", afterChunks: 3 }, { route: "chat" });
      const q = question("en", QUESTIONS[0]);
      const response = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: "en", stream: true } });
      expect(response.status).toBe(200);
      const events = await collect(response); // ends: the server closed the stream
      const kinds = events.map((e) => e.event);
      expect(kinds.join(" ")).toMatch(/^citations( delta){1,3} error$/);
      const error = JSON.parse(events.at(-1)!.data) as { code: string; message: string };
      expect(error.code).toBe("provider_stream");
      expect(error.message).toMatch(/NVIDIA NIM/);

      const health = await call(main, "/health");
      expect(health.status).toBe(200);
      const again = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: "en", stream: true } });
      expect((await collect(again)).at(-1)!.event).toBe("done");
    });

    it("cancels the upstream request when the client goes away mid-stream", async () => {
      fake.set({ streamChunkDelayMs: 100 });
      const q = question("en", QUESTIONS[0]);
      const mark = fake.requests.length;
      const controller = new AbortController();
      const response = await call(main, "/v1/ask", { method: "POST", json: { question: q.question, collection: "en", stream: true }, signal: controller.signal });
      expect(response.status).toBe(200);
      let deltas = 0;
      for await (const event of readSse(response)) {
        if (event.event === "delta") {
          deltas++;
          break;
        }
      }
      expect(deltas).toBe(1);
      controller.abort();
      const abortedAt = Date.now();
      const upstream = since(mark, "chat/completions");
      expect(upstream).toHaveLength(1);
      // The full answer takes ~15 chunks × 100 ms more; the cut must come well before that.
      await until(() => upstream[0]!.disconnected === true, "the fake to see the upstream request disconnected", 1000);
      expect(Date.now() - abortedAt).toBeLessThan(1000);
      expect((await call(main, "/health")).status).toBe(200);
    });
  });

  describe("documents", () => {
    const NOTE_V1 = "# Lighthouse keepers\n\nThe keeper of the Skerry Point light logged the lamp at dusk every evening in a brass-bound ledger.\n";
    const NOTE_V2 = "# Lighthouse keepers\n\nAfter 1931 the Skerry Point light ran on an automatic acetylene burner, and the ledger was closed for good.\n";
    const upload = (content: string | Uint8Array<ArrayBuffer>, name: string, collection?: string) => {
      const form = new FormData();
      form.append("file", new File([content], name));
      if (collection) form.append("collection", collection);
      return call(main, "/v1/documents", { method: "POST", body: form });
    };
    let documentId = "";

    it("POST /v1/documents ingests an upload (201), a re-upload of the same bytes is unchanged (200), a changed one replaces it", async () => {
      const first = await upload(NOTE_V1, "keepers.md", "uploads");
      expect(first.status).toBe(201);
      const created = (await first.json()) as { document_id: string; source: string; collection: string; chunks: number; status: string };
      expect(created).toEqual({ document_id: expect.stringMatching(/^[0-9a-f]{32}$/), source: "keepers.md", collection: "uploads", chunks: 1, status: "ingested" });
      documentId = created.document_id;

      const same = await upload(NOTE_V1, "keepers.md", "uploads");
      expect(same.status).toBe(200);
      expect(await same.json()).toEqual({ ...created, status: "unchanged" });

      const listBefore = (await (await call(main, "/v1/documents?collection=uploads")).json()) as { data: Array<{ content_hash: string }> };
      const changed = await upload(NOTE_V2, "keepers.md", "uploads");
      expect(changed.status).toBe(201);
      expect(await changed.json()).toEqual({ ...created, status: "ingested" });

      const list = (await (await call(main, "/v1/documents?collection=uploads")).json()) as { data: Array<{ document_id: string; source: string; chunks: number; content_hash: string }> };
      expect(list.data).toHaveLength(1);
      expect(list.data[0]).toMatchObject({ document_id: documentId, source: "keepers.md", chunks: 1 });
      expect(list.data[0]!.content_hash).not.toBe(listBefore.data[0]!.content_hash);

      // Only the new text is searchable: no duplicate, no leftover of the old version.
      const search = (await (await call(main, "/v1/search", { method: "POST", json: { query: "Skerry Point light ledger", collection: "uploads", top_k: 10 } })).json()) as { results: Hit[] };
      expect(search.results).toHaveLength(1);
      expect(search.results[0]!.text).toContain("acetylene");
      expect(search.results[0]!.title).toBe("Lighthouse keepers");
    });

    it("GET /v1/documents?collection= lists the documents of a collection", async () => {
      const response = await call(main, "/v1/documents?collection=en");
      expect(response.status).toBe(200);
      const body = (await response.json()) as { collection: string; data: Array<{ document_id: string; source: string; title: string; chunks: number; content_hash: string; ingested_at: string }> };
      expect(body.collection).toBe("en");
      expect(body.data.map((d) => d.title).sort()).toEqual(["Nikola Tesla", "Oxygen", "Steam engine", "Warsaw"]);
      expect(body.data.reduce((n, d) => n + d.chunks, 0)).toBe(ingested.en);
      for (const d of body.data) {
        expect(d.document_id).toMatch(/^[0-9a-f]{32}$/);
        expect(d.content_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(Number.isNaN(Date.parse(d.ingested_at))).toBe(false);
        expect(d.source).toMatch(/^[^/]+\.md$/); // relative to the ingest root, no server path
      }
    });

    it("DELETE /v1/documents/:id removes the document; a second delete is 404", async () => {
      expect(documentId).toMatch(/^[0-9a-f]{32}$/);
      const response = await call(main, `/v1/documents/${documentId}?collection=uploads`, { method: "DELETE" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ deleted: documentId, collection: "uploads" });
      const list = (await (await call(main, "/v1/documents?collection=uploads")).json()) as { data: unknown[] };
      expect(list.data).toEqual([]);
      await expectError(await call(main, `/v1/documents/${documentId}?collection=uploads`, { method: "DELETE" }), 404, "not_found");
    });

    it("413 for an upload over MAX_UPLOAD_MB (1 MB here), by declared length and by file size", async () => {
      const big = new Uint8Array(3 * 1024 * 1024).fill(0x61);
      const error = await expectError(await upload(big, "big.txt", "uploads"), 413, "payload_too_large");
      expect(error.message).toMatch(/MAX_UPLOAD_MB/);
      // The connection the refused body came on stays usable (it used to be cut 500 ms later).
      for (let i = 0; i < 3; i++) expect((await call(main, "/health")).status).toBe(200);
      // Just over the file limit but inside the multipart allowance: caught by the file-size check.
      const edge = new Uint8Array(1024 * 1024 + 10 * 1024).fill(0x61);
      await expectError(await upload(edge, "edge.txt", "uploads"), 413, "payload_too_large");
    });

    it("415 for an unsupported file type or a body that is not multipart", async () => {
      const error = await expectError(await upload("PK\u0003\u0004", "report.docx", "uploads"), 415, "unsupported_type");
      expect(error.message).toMatch(/\.pdf/);
      await expectError(await call(main, "/v1/documents", { method: "POST", json: { file: "keepers.md" } }), 415, "unsupported_media_type");
    });

    it("422 for an encrypted PDF and for a PDF with no text layer", async () => {
      const pdf = (name: string) => readFile(path.join(FIXTURES, "pdfs", name)).then((b) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
      const encrypted = await expectError(await upload(await pdf("005-libreoffice-writer-password_libreoffice-writer-password.pdf"), "secret.pdf", "uploads"), 422, "encrypted_pdf");
      expect(encrypted.message).toMatch(/^secret\.pdf: .*password/);
      const scanned = await expectError(await upload(await pdf("007-imagemagick-images_imagemagick-images.pdf"), "scan.pdf", "uploads"), 422, "no_text");
      expect(scanned.message).toMatch(/no extractable text/);
      const list = (await (await call(main, "/v1/documents?collection=uploads")).json()) as { data: unknown[] };
      expect(list.data).toEqual([]);
    });
  });

  describe("errors", () => {
    it("400 with details naming the field for an invalid body", async () => {
      const q = question("en", QUESTIONS[0]).question;
      const cases: Array<[unknown, string, string]> = [
        [{ question: q, top_k: "x" }, "top_k", "/v1/ask"],
        [{ collection: "en" }, "question", "/v1/ask"],
        [{ question: q, colection: "en" }, "colection", "/v1/ask"],
        [{ question: "   " }, "question", "/v1/ask"],
        [{ query: q, top_k: 0 }, "top_k", "/v1/search"],
        [{ query: q, collection: "../etc" }, "collection", "/v1/search"],
        [["not", "an", "object"], "body", "/v1/search"],
      ];
      for (const [json, field, route] of cases) {
        const error = await expectError(await call(main, route, { method: "POST", json }), 400, "invalid_request");
        expect(error.details, JSON.stringify(json)).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
        expect(error.message).toContain(field);
      }
      const unknown = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, colection: "en" } }), 400);
      expect(unknown.details).toEqual([{ path: "colection", message: "unknown field" }]);
    });

    it("400 for a body that is not JSON", async () => {
      for (const body of ["{nope", ""]) {
        const error = await expectError(await call(main, "/v1/ask", { method: "POST", headers: { "content-type": "application/json" }, body }), 400, "invalid_request");
        expect(error.details).toEqual([{ path: "body", message: "not valid JSON" }]);
      }
    });

    it("400 for an unknown model provider, listing the choices, and for a provider whose key is not set", async () => {
      const q = question("en", QUESTIONS[0]).question;
      const unknown = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en", model: "foo:bar" } }), 400, "invalid_request");
      expect(unknown.message).toContain("foo:bar");
      expect(unknown.message).toMatch(/nim, qiniu or openai/);
      expect(unknown.message).toContain("nim:<model-id>");
      expect(unknown.details).toEqual([{ path: "model", message: "unknown provider" }]);

      const qiniu = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en", model: "qiniu:deepseek-v3" } }), 400, "invalid_request");
      expect(qiniu.message).toContain("QINIU_API_KEY");
      expect(qiniu.details).toEqual([{ path: "model", message: expect.stringContaining("qiniu") }]);
    });

    it("404 for an unknown route and an unknown collection", async () => {
      const q = question("en", QUESTIONS[0]).question;
      expect((await expectError(await call(main, "/v1/nothing-here"), 404, "not_found")).message).toContain("/v1/nothing-here");
      await expectError(await call(main, "/v1/search", { method: "GET" }), 404, "not_found");
      for (const [route, json] of [
        ["/v1/search", { query: q, collection: "nope" }],
        ["/v1/ask", { question: q, collection: "nope" }],
      ] as const) {
        const error = await expectError(await call(main, route, { method: "POST", json }), 404, "not_found");
        expect(error.message).toContain("nope");
      }
      await expectError(await call(main, "/v1/documents?collection=nope"), 404, "not_found");
      await expectError(await call(main, `/v1/documents/${"0".repeat(32)}?collection=en`, { method: "DELETE" }), 404, "not_found");
      await expectError(await call(main, "/v1/documents/not-an-id?collection=en", { method: "DELETE" }), 400, "invalid_request");
    });

    it("413 for a JSON body over 1 MB", async () => {
      const error = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: "x".repeat(1024 * 1024 + 10) } }), 413, "payload_too_large");
      expect(error.message).toMatch(/1 MB/);
      // The connection the refused body came on stays usable (it used to be cut 500 ms later).
      for (let i = 0; i < 3; i++) expect((await call(main, "/health")).status).toBe(200);
    });

    it("502 when the provider fails: the configured model unknown, or server errors beyond the retries; 400 for a model the caller named", async () => {
      const q = question("en", QUESTIONS[0]).question;
      fake.inject({ type: "unknown-model" }, { route: "chat" });
      const named = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en", model: "nim:meta/llama-3.1-8b-instruct" } }), 400, "provider_unknown_model");
      expect(named.message).toContain("meta/llama-3.1-8b-instruct");
      expect(named.details).toEqual([{ path: "model", message: "not served by the provider" }]);
      fake.inject({ type: "unknown-model" }, { route: "chat" });
      const unknown = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en" } }), 502, "provider_unknown_model");
      expect(unknown.message).toContain("meta/llama-3.3-70b-instruct");

      // PROVIDER_MAX_RETRIES=1: two failures in a row exhaust the retries.
      const mark = fake.requests.length;
      fake.inject({ type: "server-error", status: 503 }, { route: "chat", times: 2 });
      const server = await expectError(await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en" } }), 502, "provider_server");
      expect(server.message).toMatch(/HTTP 503/);
      expect(since(mark, "chat/completions")).toHaveLength(2);
      for (const e of [unknown, server]) expect(JSON.stringify(e)).not.toContain(NIM_KEY);

      // One failure is retried away.
      fake.inject({ type: "server-error", status: 503 }, { route: "chat", times: 1 });
      const retried = await call(main, "/v1/ask", { method: "POST", json: { question: q, collection: "en" } });
      expect(retried.status).toBe(200);
    });

    it("429 when the provider's rate limit outlasts the retries", async () => {
      fake.inject({ type: "rate-limit", retryAfterSeconds: 0 }, { route: "embeddings", times: 2 });
      const q = question("en", QUESTIONS[0]).question;
      const error = await expectError(await call(main, "/v1/search", { method: "POST", json: { query: q, collection: "en" } }), 429, "provider_rate_limit");
      expect(error.message).toMatch(/rate limit/);
    });
  });

  describe("the log and shutdown", () => {
    it("logs one line per request with method, path, status and ms, and never a key, a query string or document text", async () => {
      const expected = sent.get(main.url)!;
      const requestLines = () => main.log.split("\n").filter((line) => / info request /.test(line));
      await until(() => requestLines().length >= expected.length, `${expected.length} request lines`, 2000).catch(() => {});
      const lines = requestLines();
      const logged = lines.map((line) => / method=(\S+) path=(\S+) /.exec(line)?.slice(1, 3).join(" "));
      expect(logged.sort()).toEqual([...expected].sort());
      for (const line of lines) expect(line).toMatch(/ info request method=(GET|POST|DELETE) path=\/\S* status=\d{3} ms=\d+ request_id=[0-9a-f-]{36}$/);
      expect(lines.some((l) => / method=POST path=\/v1\/ask status=200 /.test(l))).toBe(true);
      expect(lines.some((l) => / method=POST path=\/v1\/documents status=201 /.test(l))).toBe(true);
      expect(lines.some((l) => / method=POST path=\/v1\/ask status=413 /.test(l))).toBe(true);
      expect(lines.some((l) => / method=DELETE path=\/v1\/documents\/[0-9a-f]{32} status=404 /.test(l))).toBe(true);
      expect(main.log).not.toContain(NIM_KEY);
      expect(main.log).not.toContain("collection=");
      const answer = question("en", QUESTIONS[0]);
      for (const secretish of [answer.question, "Skerry Point", "acetylene", "stock exchange"]) expect(main.log).not.toContain(secretish);
    });

    it("exits with code 0 on SIGTERM", async () => {
      const exit = await main.stop();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(main.log).toMatch(/shutting down signal=SIGTERM/);
    });
  });
});

describe("a server with no provider configured", () => {
  let bare: RunningServer;
  beforeAll(async () => {
    bare = await launch(childEnv(undefined, path.join(root, "lancedb-empty")));
  });

  it("is healthy but says what to set, and answers 503 naming NVIDIA_API_KEY where a provider is needed", async () => {
    const health = await call(bare, "/health");
    expect(health.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the /health body field by field
    const body = (await health.json()) as Record<string, any>;
    expect(body.status).toBe("ok");
    expect(body.store).toEqual({ ok: true, collections: 0, backend: "local", read_consistency_ms: 0, upkeep: "on" });
    expect(body.embedding.configured).toBe(false);
    expect(body.embedding.needs).toContain("NVIDIA_API_KEY");
    expect(body.chat.providers.every((p: { configured: boolean }) => !p.configured)).toBe(true);

    // Keyword-only upload works without keys; vector and hybrid retrieval need the embedder.
    const form = new FormData();
    form.append("file", new File(["# Harbour notes\n\nThe harbour master raised the storm signal at noon on the day of the great gale.\n"], "harbour.md"));
    expect((await call(bare, "/v1/documents", { method: "POST", body: form })).status).toBe(201);
    for (const [route, json] of [
      ["/v1/search", { query: "storm signal", mode: "vector" }],
      ["/v1/search", { query: "storm signal", mode: "hybrid" }],
      ["/v1/ask", { question: "When was the storm signal raised?", mode: "hybrid" }],
    ] as const) {
      const error = await expectError(await call(bare, route, { method: "POST", json }), 503, "provider_not_configured");
      expect(error.message).toContain("NVIDIA_API_KEY");
    }
    // A chat model asked for by name, on a provider with no key: 400 naming the key.
    const named = await expectError(await call(bare, "/v1/ask", { method: "POST", json: { question: "When was the storm signal raised?", model: DEFAULT_MODEL } }), 400, "invalid_request");
    expect(named.message).toContain("NVIDIA_API_KEY");

    // With nothing asked for, the answer is extractive, and says so.
    const ask = await call(bare, "/v1/ask", { method: "POST", json: { question: "When was the storm signal raised?" } });
    expect(ask.status).toBe(200);
    const answer = (await ask.json()) as AskResponse;
    expect(answer).toMatchObject({ answer_mode: "extractive", model: null, mode: "keyword", usage: null });
    expect(answer.answer).toContain("storm signal at noon");
    expect(answer.citations.filter((c) => c.cited).map((c) => c.source)).toEqual(["harbour.md"]);

    const models = (await (await call(bare, "/v1/models")).json()) as { data: unknown[]; providers: Array<{ provider: string; configured: boolean; needs?: string }> };
    expect(models.data).toEqual([]);
    expect(models.providers.find((p) => p.provider === "nim")).toEqual({ provider: "nim", configured: false, needs: "NVIDIA_API_KEY" });
  });
});

describe("a server with RAG_API_KEY set", () => {
  const RAG_KEY = "rag-e2e-SECRET-41b7d2";
  let guarded: RunningServer;
  beforeAll(async () => {
    guarded = await launch(childEnv(fake, lancedb, { NVIDIA_API_KEY: NIM_KEY, RAG_API_KEY: RAG_KEY }));
  });

  it("leaves /health open, wants the bearer key everywhere else, and never shows the key", async () => {
    const seen: string[] = [];
    const record = async (response: Response) => {
      seen.push(JSON.stringify([...response.headers]), await response.clone().text());
      return response;
    };
    expect((await record(await call(guarded, "/health"))).status).toBe(200);
    const q = question("en", QUESTIONS[0]).question;
    for (const authorization of [undefined, "Bearer wrong-key", `Bearer ${RAG_KEY}x`, `Basic ${RAG_KEY}`, RAG_KEY]) {
      for (const [route, init] of [
        ["/v1/collections", {}],
        ["/v1/ask", { method: "POST", json: { question: q, collection: "en" } }],
      ] as const) {
        const response = await record(await call(guarded, route, { ...init, headers: authorization ? { authorization } : {} }));
        const error = await expectError(response, 401, "unauthorized");
        expect(error.message).toMatch(/Bearer/);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
    const ok = await record(await call(guarded, "/v1/collections", { headers: { authorization: `Bearer ${RAG_KEY}` } }));
    expect(ok.status).toBe(200);
    const asked = await record(await call(guarded, "/v1/ask", { method: "POST", json: { question: q, collection: "en" }, headers: { authorization: `bearer ${RAG_KEY}` } }));
    expect(asked.status).toBe(200);
    for (const text of seen) {
      expect(text).not.toContain(RAG_KEY);
      expect(text).not.toContain(NIM_KEY);
    }
    await until(() => (guarded.log.match(/ info request /g) ?? []).length >= sent.get(guarded.url)!.length, "the request lines", 2000);
    expect(guarded.log).not.toContain(RAG_KEY);
    expect(guarded.log).not.toContain(NIM_KEY);
  });
});

describe("a burst against a rate-limited provider", () => {
  let limitedFake: FakeProvider;
  let limited: RunningServer;
  beforeAll(async () => {
    limitedFake = await startFakeProvider({ flavor: "nim", apiKey: NIM_KEY, rpmLimit: 6 });
    limited = await launch(childEnv(limitedFake, lancedb, { NVIDIA_API_KEY: NIM_KEY, NIM_RPM: "6", REQUEST_QUEUE_WAIT_MS: "12000", PROVIDER_MAX_RETRIES: "1", PROVIDER_TIMEOUT_MS: "10000" }));
  });
  afterAll(async () => {
    await limited?.stop(5000);
    await limitedFake?.close();
  });

  // NIM_RPM=6 spaces provider calls 10 s apart: one answer (embedding, then chat) takes 10-20 s, so the
  // queue-wait budget (12 s) admits a few asks and refuses the rest at once with 429.
  it("ends every request with 200 or a clear 429/502, and stays up", { timeout: 60_000 }, async () => {
    const q = question("en", QUESTIONS[0]).question;
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 15 }, async () => {
        // A hang would trip this client timeout and fail the test.
        const response = await call(limited, "/v1/ask", { method: "POST", json: { question: q, collection: "en" }, signal: AbortSignal.timeout(30_000) });
        const body = (await response.json()) as AskResponse | ErrorBody;
        return { status: response.status, body, ms: Date.now() - started };
      }),
    );
    const statuses = outcomes.map((o) => o.status);
    for (const o of outcomes) {
      expect([200, 429, 502]).toContain(o.status);
      if (o.status === 200) expect((o.body as AskResponse).answer).toContain(question("en", QUESTIONS[0]).answer);
      else {
        const { error } = o.body as ErrorBody;
        expect(error.code).toMatch(/^provider_/);
        expect(error.message.length).toBeGreaterThan(0);
      }
    }
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    // askdocs paced itself: the provider never had to refuse it.
    expect(limitedFake.requests.filter((r) => r.status === 429)).toEqual([]);
    expect((await call(limited, "/health")).status).toBe(200);
  });
});
