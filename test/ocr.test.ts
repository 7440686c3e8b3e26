import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadError, OCR_HEADING, loadDocument } from "../ingest/loaders/index.js";
import { NEMO_RETRIEVER_OCR } from "../src/providers/ocr.js";
import { type FakeProvider, fakeOcrText, startFakeProvider } from "./fake-provider/index.js";
import { textPdf } from "./helpers/generated-pdf.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";
import { tempDir } from "./helpers/ingest-data.js";
import { decodeDataUrl, expectReadByOcr, ocrPool, SCANNED_PDFS, scanned } from "./helpers/ocr-scans.js";
import { withParser } from "./helpers/with-parser.js";

/**
 * Scanned PDFs through OCR, and the worker pool that parses them: real image-only PDFs
 * from test/fixtures/pdfs (py-pdf samples, see LICENCES.md), the fake NeMo Retriever OCR
 * endpoint, real worker threads, and the real server for an upload. The pool itself:
 * parse-pool.test.ts.
 */
const OCR_PATH = "/cv/nvidia/nemoretriever-ocr-v1";

/** The image the fake was sent, decoded from its data URL. */
function sentImage(fake: FakeProvider, at = 0) {
  const request = fake.requests.filter((r) => r.path.endsWith(OCR_PATH))[at]!;
  return decodeDataUrl((request.body as { input: { url: string }[] }).input[0]!.url);
}

describe("OCR of pages without a text layer", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterAll(() => fake.close());

  it("a long scan read in parts on two workers comes out as one worker reads it, every image page read by OCR", async () => {
    // 24 pages, every fifth typed, the others only an image (each of its own size, so each reading differs).
    const pages = Array.from({ length: 24 }, (_, i) => ({ paragraphs: i % 5 === 0 ? [[`Typed page ${i + 1}.`]] : [], image: { width: 200 + i, height: 150 } }));
    const bytes = textPdf(pages, "Long scan");
    const read = (size: number) => withParser(ocrPool(fake, NEMO_RETRIEVER_OCR, {}, size), (pool) => pool.parse(bytes, "long-scan.pdf", { timeoutMs: 60_000 }));
    fake.reset();
    const one = await read(1);
    expect(fake.requests.filter((r) => r.path.endsWith(OCR_PATH))).toHaveLength(19);
    fake.reset();
    expect(await read(2)).toEqual(one);
    expect(fake.requests.filter((r) => r.path.endsWith(OCR_PATH))).toHaveLength(19);
    expect(one.chunks.some((c) => c.heading === OCR_HEADING && (c.pageEnd ?? c.page) === 24)).toBe(true);
  }, 60_000);

  it("without OCR a scanned PDF fails clearly, naming OCR_MODEL", async () => {
    const error = await loadDocument(await scanned("grayscale-image.pdf"), "scan.pdf").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).reason).toBe("no_text");
    expect((error as LoadError).message).toMatch(/set OCR_MODEL/);
  });

  it("reads a scanned page through NeMo Retriever OCR from a worker thread, as a grey JPEG within the inline limit, marked as OCR", async () => {
    fake.reset();
    await withParser(ocrPool(fake, NEMO_RETRIEVER_OCR), async (pool) => {
      for (const name of SCANNED_PDFS) {
        fake.reset();
        const parsed = await pool.parse(await scanned(name), name, { timeoutMs: 30_000 });
        expectReadByOcr(parsed, sentImage(fake).url);
      }
    });
  }, 60_000);

  it("a failing OCR call fails the file with a reason, not the pool", async () => {
    fake.reset();
    fake.inject({ type: "status", status: 400 }, { route: "ocr" });
    await withParser(ocrPool(fake, NEMO_RETRIEVER_OCR), async (pool) => {
      const error = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).reason).toBe("ocr_failed");
      expect((error as LoadError).message).toMatch(/^OCR of page 1 failed: /);
      const parsed = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 });
      expect(parsed.chunks[0]!.heading).toBe(OCR_HEADING);
    });
  }, 60_000);

  it("an upload of a scanned PDF to the server is read by OCR and cited as such", async () => {
    const dir = await tempDir("ocr-server");
    let server: RunningServer | undefined;
    try {
      fake.reset();
      server = await startServer(childEnv(fake, `${dir}/db`, { OCR_MODEL: NEMO_RETRIEVER_OCR, OCR_BASE_URL: fake.url }));
      const form = new FormData();
      form.set("file", new File([await scanned("grayscale-image.pdf")], "scan.pdf", { type: "application/pdf" }));
      const upload = await fetch(`${server.url}/v1/documents`, { method: "POST", body: form });
      expect(upload.status, await upload.clone().text()).toBe(201);
      const { info } = sentImage(fake);
      const search = await fetch(`${server.url}/v1/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "harbour tide table", collection: "default", mode: "keyword" }),
      });
      const { results } = (await search.json()) as { results: { source: string; page: number; heading: string; text: string }[] };
      expect(results[0]).toMatchObject({ source: "scan.pdf", page: 1, heading: OCR_HEADING, text: fakeOcrText(info) });
    } finally {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
