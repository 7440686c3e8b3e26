import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadError, OCR_HEADING } from "../ingest/loaders/index.js";
import { type FakeProvider, fakeOcrText, startFakeProvider } from "./fake-provider/index.js";
import { sent } from "./providers/helpers.js";
import { ingestEnv, parseSummary, runIngest } from "./helpers/ingest-cli.js";
import { bySource, readChunks, tempDir } from "./helpers/ingest-data.js";
import { decodeDataUrl, expectReadByOcr, ocrPool, SCANNED_PDFS, scanned } from "./helpers/ocr-scans.js";
import { withParser } from "./helpers/with-parser.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";

/**
 * Scanned PDFs read by a vision chat model (any OCR_MODEL other than NeMo Retriever OCR):
 * the real image-only fixture PDFs, rendered in real worker threads, sent to the fake's
 * `/v1/chat/completions` as OpenAI content parts; the fake's reading of the image comes
 * back as the page's text. The key is a distinct secret, so any leak of it shows.
 */
const VISION = "meta/llama-3.2-11b-vision-instruct";
const TEXT_ONLY = "meta/llama-3.1-8b-instruct";
const SECRET = "nvapi-ocr-vision-SECRET-3f9a1c07d2";
const CHAT = "/chat/completions";

interface VisionBody {
  model: string;
  temperature: number;
  messages: { role: string; content: { type: string; text?: string; image_url?: { url: string } }[] }[];
}

/** The page image the `at`-th chat request carried, decoded; the request shape is checked on the way. */
function sentImage(fake: FakeProvider, at = 0) {
  const body = sent(fake, CHAT)[at]!.body as VisionBody;
  expect(body).toMatchObject({ model: VISION, temperature: 0 });
  expect(body.messages).toHaveLength(1);
  const [message] = body.messages;
  expect(message!.role).toBe("user");
  expect(message!.content.map((p) => p.type)).toEqual(["text", "image_url"]);
  expect(message!.content[0]!.text).toMatch(/^Transcribe all the text/);
  return decodeDataUrl(message!.content[1]!.image_url!.url);
}

describe("OCR through a vision chat model", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim", apiKey: SECRET });
  });
  afterAll(() => fake.close());

  const poolFor = (model: string) => ocrPool(fake, model, { apiKey: SECRET });

  it("reads each scanned fixture from a worker thread: one user message, an instruction and one inline grey JPEG, temperature 0", async () => {
    await withParser(poolFor(VISION), async (pool) => {
      for (const name of SCANNED_PDFS) {
        fake.reset();
        const parsed = await pool.parse(await scanned(name), name, { timeoutMs: 30_000 });
        expect(sent(fake, CHAT).map((r) => r.status)).toEqual([200]);
        expectReadByOcr(parsed, sentImage(fake).url);
      }
    });
  }, 60_000);

  it("retries a 429 after the Retry-After it names, then reads the page", async () => {
    fake.reset();
    fake.inject({ type: "rate-limit", retryAfterSeconds: 1 }, { route: "chat" });
    await withParser(poolFor(VISION), async (pool) => {
      const parsed = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 });
      const requests = sent(fake, CHAT);
      expect(requests.map((r) => r.status)).toEqual([429, 200]);
      // The transport's own back-off here is 10-50 ms: only Retry-After explains a second.
      expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(950);
      expectReadByOcr(parsed, sentImage(fake, 1).url);
    });
  }, 60_000);

  it("a text-only model as OCR_MODEL fails the file with ocr_failed at once, without the key, and the pool goes on", async () => {
    fake.reset();
    await withParser(poolFor(TEXT_ONLY), async (pool) => {
      const error = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).reason).toBe("ocr_failed");
      expect((error as LoadError).message).toBe(`OCR of page 1 failed: NVIDIA NIM rejected the request (HTTP 400: messages[0].content[1]: model '${TEXT_ONLY}' does not accept image input).`);
      // A 400 is permanent: one request, no retry.
      expect(sent(fake, CHAT).map((r) => r.status)).toEqual([400]);

      // A provider that echoes the key in its error: the message still does not carry it.
      fake.inject({ type: "status", status: 400, body: { status: 400, title: "Bad Request", detail: `invalid image for Authorization: Bearer ${SECRET}` } }, { route: "chat" });
      const echoed = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect((echoed as LoadError).reason).toBe("ocr_failed");
      expect((echoed as LoadError).message).toMatch(/^OCR of page 1 failed: .*HTTP 400: invalid image for Authorization/);
      expect(`${(echoed as Error).message} ${String((echoed as Error).stack)}`).not.toContain(SECRET);
      expect(JSON.stringify(fake.requests.map((r) => r.headers))).not.toContain(SECRET);
    });
  }, 60_000);

  it("in a batch ingest, the scanned PDF fails alone with ocr_failed when OCR_MODEL cannot read images; the key never shows", async () => {
    fake.reset();
    const root = await tempDir("ocr-vision-batch");
    try {
      const docs = path.join(root, "docs");
      await mkdir(docs);
      await writeFile(path.join(docs, "scan.pdf"), await scanned("grayscale-image.pdf"));
      await writeFile(path.join(docs, "tides.md"), "# Tides\n\nThe harbour master logs high water twice a day at the north pier.\n");
      // OCR_BASE_URL unset: a vision chat model is called at NIM_BASE_URL, with NVIDIA_API_KEY.
      const run = await runIngest([docs], ingestEnv(fake, path.join(root, "db"), { NVIDIA_API_KEY: SECRET, OCR_MODEL: TEXT_ONLY }));
      expect(run.code, run.stderr).toBe(1);
      const summary = parseSummary(run.stdout);
      expect(summary).toMatchObject({ ingested: 1, failed: 1 });
      expect(summary.failures.get("scan.pdf")).toBe(`OCR of page 1 failed: NVIDIA NIM OCR rejected the request (HTTP 400: messages[0].content[1]: model '${TEXT_ONLY}' does not accept image input).`);
      expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
      expect([...bySource(await readChunks(path.join(root, "db"))).keys()]).toEqual(["tides.md"]);
      expect(sent(fake, CHAT).map((r) => [(r.body as VisionBody).model, r.status])).toEqual([[TEXT_ONLY, 400]]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 90_000);

  it("an upload of a scanned PDF is read by the vision model, stored with its reading, and cited as a page image; a refusal fails it with ocr_failed", async () => {
    fake.reset();
    const dir = await tempDir("ocr-vision-server");
    let server: RunningServer | undefined;
    try {
      server = await startServer(childEnv(fake, `${dir}/db`, { NVIDIA_API_KEY: SECRET, OCR_MODEL: VISION }));
      const form = new FormData();
      form.set("file", new File([await scanned("grayscale-image.pdf")], "scan.pdf", { type: "application/pdf" }));
      const upload = () => fetch(`${server!.url}/v1/documents`, { method: "POST", body: form });

      // A permanent refusal fails the upload with ocr_failed (422), not a 5xx.
      fake.inject({ type: "status", status: 400, body: { status: 400, title: "Bad Request", detail: "image could not be decoded" } }, { route: "chat" });
      const refused = await upload();
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ error: { code: "ocr_failed", message: "scan.pdf: OCR of page 1 failed: NVIDIA NIM OCR rejected the request (HTTP 400: image could not be decoded)." } });

      fake.reset();
      const stored = await upload();
      expect(stored.status, await stored.clone().text()).toBe(201);
      const { info } = sentImage(fake);
      const reading = fakeOcrText(info);

      const ask = await fetch(`${server.url}/v1/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: "What does the scanned harbour tide table show?", collection: "default" }),
      });
      expect(ask.status).toBe(200);
      const body = (await ask.json()) as { answer: string; citations: { source: string; page: number; heading: string; text: string; cited: boolean }[] };
      expect(body.answer).toContain(reading);
      expect(body.citations.filter((c) => c.cited)).toEqual([expect.objectContaining({ source: "scan.pdf", page: 1, heading: OCR_HEADING, text: reading })]);
      expect(server.log).not.toContain(SECRET);
    } finally {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
