import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFile } from "../ingest/document-parser.js";
import { LoadError, OCR_HEADING, loadDocument } from "../ingest/loaders/index.js";
import { ingestSettings } from "../ingest/settings.js";
import { createParsePool } from "../ingest/node/parse-pool.js";
import { NEMO_RETRIEVER_OCR } from "../src/providers/ocr.js";
import { type FakeProvider, fakeOcrText, startFakeProvider } from "./fake-provider/index.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";
import { E5, FIXTURES, tempDir } from "./helpers/ingest-data.js";
import { decodeDataUrl, expectReadByOcr, ocrPool, SCANNED_PDFS, scanned } from "./helpers/ocr-scans.js";

/**
 * Scanned PDFs through OCR, and the worker pool that parses them: real image-only PDFs
 * from test/fixtures/pdfs (py-pdf samples, see LICENCES.md), the fake NeMo Retriever OCR
 * endpoint, real worker threads, and the real server for an upload.
 */
const OCR_PATH = "/cv/nvidia/nemoretriever-ocr-v1";
const { chunkOptions } = ingestSettings(E5);

/** The image the fake was sent, decoded from its data URL. */
function sentImage(fake: FakeProvider, at = 0) {
  const request = fake.requests.filter((r) => r.path.endsWith(OCR_PATH))[at]!;
  return decodeDataUrl((request.body as { input: { url: string }[] }).input[0]!.url);
}

/** A PDF of `pages` pages of text, big enough that parsing takes a while. */
async function longPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = pdf.addPage([600, 800]);
    for (let line = 0; line < 60; line++) page.drawText(`Page ${p} line ${line}: the harbour master logged the tide at ${(p * 60 + line) % 400} cm.`, { x: 20, y: 780 - line * 12, size: 9, font });
  }
  return pdf.save();
}

describe("OCR of pages without a text layer", () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
  });
  afterAll(() => fake.close());

  it("without OCR a scanned PDF fails clearly, naming OCR_MODEL", async () => {
    const error = await loadDocument(await scanned("grayscale-image.pdf"), "scan.pdf").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).reason).toBe("no_text");
    expect((error as LoadError).message).toMatch(/set OCR_MODEL/);
  });

  it("reads a scanned page through NeMo Retriever OCR from a worker thread, as a grey JPEG within the inline limit, marked as OCR", async () => {
    fake.reset();
    const pool = ocrPool(fake, NEMO_RETRIEVER_OCR);
    try {
      for (const name of SCANNED_PDFS) {
        fake.reset();
        const parsed = await pool.parse(await scanned(name), name, { timeoutMs: 30_000 });
        expectReadByOcr(parsed, sentImage(fake).url);
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("a failing OCR call fails the file with a reason, not the pool", async () => {
    fake.reset();
    fake.inject({ type: "status", status: 400 }, { route: "ocr" });
    const pool = ocrPool(fake, NEMO_RETRIEVER_OCR);
    try {
      const error = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).reason).toBe("ocr_failed");
      expect((error as LoadError).message).toMatch(/^OCR of page 1 failed: /);
      const parsed = await pool.parse(await scanned("ccitt-fax.pdf"), "scan.pdf", { timeoutMs: 30_000 });
      expect(parsed.chunks[0]!.heading).toBe(OCR_HEADING);
    } finally {
      await pool.close();
    }
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

describe("the parse pool", () => {
  it("stops a file that exceeds its time limit (the worker is replaced) and goes on parsing", async () => {
    const pool = createParsePool({ embedModel: "nvidia/nv-embedqa-e5-v5", size: 1 });
    try {
      const big = await longPdf(300);
      const error = await pool.parse(big, "long.pdf", { timeoutMs: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).reason).toBe("timeout");
      expect((error as LoadError).message).toMatch(/was stopped/);
      const parsed = await pool.parse(await longPdf(2), "short.pdf", { timeoutMs: 30_000 });
      expect(parsed.chunks.at(-1)!.pageEnd ?? parsed.chunks.at(-1)!.page).toBe(2);
      expect(parsed.chunks.map((c) => c.text).join(" ")).toContain("Page 1 line 0");
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("parses and chunks several PDFs at once, exactly as the main thread does", async () => {
    const pool = createParsePool({ embedModel: "nvidia/nv-embedqa-e5-v5", size: 2 });
    try {
      // Generated PDFs and a real 10-Q: the workers inflate streams with pdf.js's own
      // decoder (parse-worker.ts), the main thread through DecompressionStream.
      const files = [...(await Promise.all([3, 5, 7].map((pages) => longPdf(pages)))), new Uint8Array(await readFile(path.join(FIXTURES, "long-pdfs", "10q-2022-Q3-AAPL.pdf")))];
      const inPool = await Promise.all(files.map((bytes, i) => pool.parse(bytes, `f${i}.pdf`, { timeoutMs: 30_000 })));
      const inline = await Promise.all(files.map((bytes, i) => parseFile(bytes, `f${i}.pdf`, chunkOptions, {})));
      expect(inPool).toEqual(inline);
      // A failure inside a worker keeps its reason.
      const bad = await pool.parse(new TextEncoder().encode("%PDF-1.7 not really"), "bad.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect((bad as LoadError).reason).toBe("corrupt");
    } finally {
      await pool.close();
    }
  }, 60_000);
});
