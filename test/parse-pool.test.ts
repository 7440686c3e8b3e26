import { readFile } from "node:fs/promises";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { type DocumentParser, parseFile } from "../ingest/document-parser.js";
import { LoadError } from "../ingest/loaders/index.js";
import { createParsePool } from "../ingest/node/parse-pool.js";
import { ingestSettings } from "../ingest/settings.js";
import { type PdfObject, latin1, serialize } from "./helpers/generated-pdf.js";
import { E5, FIXTURES } from "./helpers/ingest-data.js";
import { withParser } from "./helpers/with-parser.js";

/**
 * The worker pool that parses PDFs off the main thread (ingest/node/parse-pool.ts): real
 * worker threads, real PDFs (generated, and a 10-Q from test/fixtures/long-pdfs). Its
 * results must be exactly the main thread's, however a file was shared out.
 */
const { chunkOptions } = ingestSettings(E5);
const E5_ID = "nvidia/nv-embedqa-e5-v5";
const tenQ = async () => new Uint8Array(await readFile(path.join(FIXTURES, "long-pdfs", "10q-2022-Q3-AAPL.pdf")));

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

/** `pages` pages of Flate-compressed text; page `damaged` has a bad zlib header, which pdf-repair.ts mends. */
function flatePdf(pages: number, damaged: number): Uint8Array {
  const objects: PdfObject[] = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"];
  const kids: string[] = [];
  for (let p = 1; p <= pages; p++) {
    kids.push(`${objects.length + 1} 0 R`);
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objects.length + 2} 0 R >>`);
    const text = Array.from({ length: 20 }, (_, i) => `(Page ${p} line ${i + 1}: the lighthouse keeper counted ${(p * 31 + i * 7) % 500} gulls.) Tj T*`);
    const zlib = deflateSync(latin1(`BT /F1 11 Tf 14 TL 72 780 Td\n${text.join("\n")}\nET`));
    objects.push({ dictionary: "/Filter /FlateDecode", data: p === damaged ? Uint8Array.of(zlib[0]!, zlib[1]! + 1, ...zlib.subarray(2)) : zlib });
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${pages} >>`;
  return serialize(objects, "/Root 1 0 R");
}

/** Runs `use` with a pool of `size` workers, closed afterwards. */
const withPool = (size: number, use: (pool: DocumentParser) => Promise<void>) => withParser(createParsePool({ embedModel: E5_ID, size }), use);

describe("the parse pool", () => {
  it("stops a file that exceeds its time limit (the worker is replaced) and goes on parsing", async () => {
    await withPool(1, async (pool) => {
      const big = await longPdf(300);
      const error = await pool.parse(big, "long.pdf", { timeoutMs: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).reason).toBe("timeout");
      expect((error as LoadError).message).toMatch(/was stopped/);
      const parsed = await pool.parse(await longPdf(2), "short.pdf", { timeoutMs: 30_000 });
      expect(parsed.chunks.at(-1)!.pageEnd ?? parsed.chunks.at(-1)!.page).toBe(2);
      expect(parsed.chunks.map((c) => c.text).join(" ")).toContain("Page 1 line 0");
    });
  }, 60_000);

  it("parses and chunks several PDFs at once, exactly as the main thread does", async () => {
    await withPool(2, async (pool) => {
      // Generated PDFs and a real 10-Q: the workers inflate streams with pdf.js's own
      // decoder (parse-worker.ts), the main thread through DecompressionStream.
      const files = [...(await Promise.all([3, 5, 7].map((pages) => longPdf(pages)))), await tenQ()];
      const inPool = await Promise.all(files.map((bytes, i) => pool.parse(bytes, `f${i}.pdf`, { timeoutMs: 30_000 })));
      const inline = await Promise.all(files.map((bytes, i) => parseFile(bytes, `f${i}.pdf`, chunkOptions, {})));
      expect(inPool).toEqual(inline);
      // A failure inside a worker keeps its reason.
      const bad = await pool.parse(new TextEncoder().encode("%PDF-1.7 not really"), "bad.pdf", { timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect((bad as LoadError).reason).toBe("corrupt");
    });
  }, 60_000);

  it("shares a long PDF's pages among idle workers and puts them together exactly as the main thread reads the file", async () => {
    const files = [
      ["10q.pdf", await tenQ()],
      ["generated.pdf", await longPdf(40)],
    ] as const;
    for (const size of [2, 3]) {
      await withPool(size, async (pool) => {
        for (const [name, bytes] of files) {
          const inline = await parseFile(bytes, name, chunkOptions, {});
          expect(await pool.parse(bytes, name, { timeoutMs: 30_000 })).toEqual(inline);
          expect(inline.chunks.at(-1)!.pageEnd ?? inline.chunks.at(-1)!.page).toBe(inline.pages);
        }
      });
    }
  }, 60_000);

  it("a worker that goes idle takes half of what is left of a long PDF another reads; the file comes out as the main thread reads it", async () => {
    // The long file starts while the short one waits, so it is not shared out when it opens;
    // once the short one is done, its worker asks for the rest of the long one's pages.
    const long = await longPdf(120);
    const short = await longPdf(3);
    const inline = await parseFile(long, "long.pdf", chunkOptions, {});
    await withPool(2, async (pool) => {
      const [inPool] = await Promise.all([pool.parse(long, "long.pdf", { timeoutMs: 60_000 }), pool.parse(short, "short.pdf", { timeoutMs: 60_000 })]);
      expect(inPool).toEqual(inline);
    });
  }, 60_000);

  it("whatever the order and timing of files, damaged or not, each comes out as the main thread reads it", async () => {
    const files: [string, Uint8Array][] = [
      ["long.pdf", await longPdf(90)],
      ["short.pdf", await longPdf(3)],
      ["late-damage.pdf", flatePdf(60, 45)],
      ["early-damage.pdf", flatePdf(50, 5)],
      ["middle.pdf", await longPdf(40)],
    ];
    const inline = new Map<string, unknown>();
    for (const [name, bytes] of files) inline.set(name, await parseFile(bytes, name, chunkOptions, {}));
    for (let round = 0; round < 6; round++) {
      // Each round its own order, pool size and start times: parts are shared out, taken
      // by idle workers and read again whole at different points.
      const order = files.map((file, i) => ({ file, key: (i * 7 + round * 3) % files.length })).sort((a, b) => a.key - b.key);
      await withPool(2 + (round % 3), async (pool) => {
        const results = await Promise.all(
          order.map(async ({ file: [name, bytes] }, i) => {
            await new Promise((resolve) => setTimeout(resolve, ((i * 37 + round * 53) % 5) * 40));
            return [name, await pool.parse(bytes, name, { timeoutMs: 60_000 })] as const;
          }),
        );
        for (const [name, parsed] of results) expect(parsed, `${name}, round ${round}`).toEqual(inline.get(name));
      });
    }
  }, 120_000);

  it("a long PDF that needs repair comes out as the main thread reads it (the pool reads such a file whole)", async () => {
    await withPool(2, async (pool) => {
      const bytes = flatePdf(40, 30);
      const inline = await parseFile(bytes, "damaged.pdf", chunkOptions, {});
      expect(inline.warnings).toEqual([expect.stringMatching(/bad zlib header/)]);
      expect(inline.chunks.map((c) => c.text).join(" ")).toContain("Page 30 line 1:");
      expect(await pool.parse(bytes, "damaged.pdf", { timeoutMs: 30_000 })).toEqual(inline);
    });
  }, 60_000);
});
