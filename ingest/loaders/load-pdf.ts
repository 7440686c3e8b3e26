import { getResolvedPDFJS } from "unpdf";
import { cleanPdfText } from "./clean-text.js";
import { LoadError } from "./load-error.js";
import { pageNotes } from "./pdf-annotations.js";
import type { LoadedDocument, LoadedSection, PageOcr, PdfDocument } from "./types.js";

type PDFJS = Awaited<ReturnType<typeof getResolvedPDFJS>>;
type LoadingTask = ReturnType<PDFJS["getDocument"]>;
type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

/** Heading of text read from a page image, so that citations say where it came from. */
export const OCR_HEADING = "Page image (OCR)";

/**
 * A PDF, one section per page (`page` is 1-based), plus the page's form-field values and
 * FreeText annotations as sections of their own (pdf-annotations.ts), and, with `ocr`,
 * the text read from pages that have no text layer (heading OCR_HEADING). Title: the
 * Info dictionary's Title, else XMP dc:title, else the file name. Fails with LoadError:
 * `encrypted` (password required), `corrupt` (pdf.js cannot parse it), `no_text` (no
 * text on any page: scanned or image-only, and no OCR), `timeout` (over `timeoutMs`).
 *
 * pdf.js is driven directly rather than through unpdf's `extractText` so that the
 * loading task can be destroyed when the time limit is hit; the options are unpdf's
 * own defaults (`getDocumentProxy`), with warnings silenced.
 */
export async function loadPdf(bytes: Uint8Array, name: string, timeoutMs: number, ocr?: PageOcr): Promise<LoadedDocument> {
  let task: LoadingTask | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const parse = (async () => {
    const { getDocument, VerbosityLevel } = await getResolvedPDFJS();
    // pdf.js may transfer (detach) the buffer it is given: hand it a copy, not the caller's bytes.
    task = getDocument({ data: bytes.slice(), isEvalSupported: false, useSystemFonts: true, verbosity: VerbosityLevel.ERRORS });
    return await extractPdf(task, name, ocr);
  })();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadError("timeout", `PDF took longer than ${timeoutMs} ms to load; try a smaller file`)), timeoutMs);
  });
  try {
    return await Promise.race([parse, deadline]);
  } catch (error) {
    throw asLoadError(error);
  } finally {
    clearTimeout(timer);
    // An abandoned parse rejects once its task is destroyed: that rejection is expected.
    parse.catch(() => undefined);
    await task?.destroy().catch(() => undefined);
  }
}

async function extractPdf(task: LoadingTask, name: string, ocr: PageOcr | undefined): Promise<LoadedDocument> {
  const pdf = await task.promise;
  const sections: LoadedSection[] = [];
  // Reading a page's annotations costs as much as its text (a 10-Q's hundreds of links):
  // they are read where they can matter, on every page of a form and on pages without text.
  const hasForm = (await pdf.getFieldObjects().catch(() => null)) !== null;
  for (let page = 1; page <= pdf.numPages; page++) {
    if (task.destroyed) throw new Error("PDF loading was cancelled");
    const proxy = await pdf.getPage(page);
    const text = cleanPdfText(await pageText(proxy));
    if (text) sections.push({ text, page });
    for (const note of hasForm || !text ? await pageNotes(proxy) : []) {
      const noteText = cleanPdfText(note.text);
      if (noteText) sections.push({ text: noteText, page, heading: note.heading });
    }
    if (!text && ocr) {
      const read = cleanPdfText(
        await ocr.readPage(pdf, page).catch((error: unknown) => {
          throw new LoadError("ocr_failed", `OCR of page ${page} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }),
      );
      if (read) sections.push({ text: read, page, heading: OCR_HEADING });
    }
  }
  if (sections.length === 0) {
    throw new LoadError("no_text", ocr ? "no text found: no page has a text layer, and OCR read nothing from the page images" : "no extractable text (scanned? set OCR_MODEL to read page images)");
  }
  return { format: "pdf", title: (await metadataTitle(pdf)) ?? name, pages: pdf.numPages, sections };
}

interface Line {
  text: string;
  y: number;
  size: number;
}

/**
 * A page's text, line by line as pdf.js reports them (`hasEOL`), with a blank line
 * where the vertical gap between two lines is clearly wider than the page's usual
 * line spacing: pdf.js itself marks no paragraph breaks.
 */
async function pageText(page: PdfPage): Promise<string> {
  const content = await page.getTextContent();
  const lines: Line[] = [];
  let current: Line = { text: "", y: Number.NaN, size: 0 };
  for (const item of content.items) {
    if (!("str" in item)) continue; // marked-content markers carry no text
    if (item.str.trim() && Number.isNaN(current.y)) {
      current.y = item.transform[5] ?? 0;
      current.size = Math.hypot(item.transform[2] ?? 0, item.transform[3] ?? 0) || item.height;
    }
    current.text += item.str;
    if (item.hasEOL) {
      lines.push(current);
      current = { text: "", y: Number.NaN, size: 0 };
    }
  }
  lines.push(current);
  const text = lines.filter((line) => line.text.trim());
  const gaps = text.slice(1).map((line, i) => text[i]!.y - line.y);
  const usual = median(gaps.filter((gap, i) => gap > 0 && gap < 3 * (text[i + 1]?.size || 12)));
  return text
    .map((line, i) => {
      const gap = gaps[i - 1];
      const paragraph = gap !== undefined && usual !== undefined && gap > 1.5 * usual && gap > line.size;
      return (i === 0 ? "" : paragraph ? "\n\n" : "\n") + line.text;
    })
    .join("");
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function metadataTitle(pdf: PdfDocument): Promise<string | undefined> {
  try {
    const { info, metadata } = await pdf.getMetadata();
    const candidates = [(info as { Title?: unknown } | undefined)?.Title, metadata?.get("dc:title")];
    for (const candidate of candidates) {
      const title = typeof candidate === "string" ? candidate.replace(/[\u0000-\u001f]/g, "").trim() : "";
      if (title && !/^untitled$/i.test(title)) return title;
    }
  } catch {
    // Unreadable metadata is no reason to reject a readable document.
  }
  return undefined;
}

/** pdf.js errors by name: PasswordException (needs or got a wrong password), anything else is a parse failure. */
function asLoadError(error: unknown): LoadError {
  if (error instanceof LoadError) return error;
  const name = error instanceof Error ? error.name : "";
  const reason = error instanceof Error ? error.message : String(error);
  if (name === "PasswordException") {
    return new LoadError("encrypted", "encrypted PDF (password required)", { cause: error });
  }
  return new LoadError("corrupt", `corrupt PDF: ${reason}`, { cause: error });
}
