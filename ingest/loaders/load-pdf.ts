import { getResolvedPDFJS } from "unpdf";
import { cleanPdfText } from "./clean-text.js";
import { LoadError } from "./load-error.js";
import { pageNotes } from "./pdf-annotations.js";
import { cMapSource } from "./pdf-cmaps.js";
import { repairPdf } from "./pdf-repair.js";
import type { CMapReader, LoadedDocument, LoadedSection, PageOcr, PdfDocument } from "./types.js";

type PDFJS = Awaited<ReturnType<typeof getResolvedPDFJS>>;
type LoadingTask = ReturnType<PDFJS["getDocument"]>;
type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

/** Heading of text read from a page image, so that citations say where it came from. */
export const OCR_HEADING = "Page image (OCR)";

export interface PdfLoadOptions {
  timeoutMs: number;
  ocr?: PageOcr | undefined;
  cMaps?: CMapReader | undefined;
  /**
   * Which pages to read, chosen once the page count is known (default: all of them). The
   * range is read live: its `last` may be lowered while the pages are read (a pool handing
   * the rest to another thread), never below a page already started (`onPage`).
   */
  pages?: ((count: number) => PageRange) | undefined;
  /** Called (and awaited) as each page of the range starts. */
  onPage?: ((page: number) => void | Promise<void>) | undefined;
}

/** Pages `first` to `last` of a PDF, 1-based and inclusive. */
export interface PageRange {
  first: number;
  last: number;
}

/**
 * Some pages of a PDF as read, before the checks that need every page (readPdfPart): what
 * one thread reads when several share a long PDF (ingest/node/parse-pool.ts).
 */
export interface PdfPart {
  title: string;
  /** The document's page count. */
  pages: number;
  range: PageRange;
  sections: LoadedSection[];
  /** Pages of the range that could not be read, and why. */
  failed: { page: number; why: string }[];
  warnings: string[];
  /** Read from pdf-repair.ts's rewrite of the file, whose pages may not be the original's. */
  repaired: boolean;
  /** Whether pages without text were given to OCR. */
  ocr: boolean;
}

/** One page's text layer, form fields and annotations, or why pdf.js could not read it. */
interface PageRead {
  page: number;
  sections: LoadedSection[];
  failed?: string;
}

interface PdfRead {
  pdf: PdfDocument;
  range: PageRange;
  pages: PageRead[];
}

/**
 * A PDF, one section per page (`page` is 1-based), plus the page's form-field values and
 * FreeText annotations as sections of their own (pdf-annotations.ts), and, with `ocr`,
 * the text read from pages that have no text layer (heading OCR_HEADING). Title: the
 * Info dictionary's Title, else XMP dc:title, else the file name. Fails with LoadError:
 * `encrypted` (password required), `corrupt` (pdf.js cannot parse it, or no page of it),
 * `no_text` (no text on any page: scanned or image-only, and no OCR), `timeout` (over
 * `timeoutMs`).
 *
 * Damage pdf.js's own recovery leaves unread (a page it cannot find or parse, a page
 * without text) makes the loader try pdf-repair.ts once and keep whichever reading holds
 * more text; a page that still fails is skipped with a warning when another page reads.
 * A good file is read once, as before. Chinese, Japanese and Korean text in fonts that
 * are not embedded needs `cMaps` (pdf-cmaps.ts).
 *
 * pdf.js is driven directly rather than through unpdf's `extractText` so that the
 * loading task can be destroyed when the time limit is hit; the options are unpdf's
 * own defaults (`getDocumentProxy`), with warnings silenced.
 */
export async function loadPdf(bytes: Uint8Array, name: string, options: PdfLoadOptions): Promise<LoadedDocument> {
  return pdfDocument([await readPdfPart(bytes, name, options)]);
}

/** The pages `options.pages` chooses (default all), read as loadPdf reads them; fails as loadPdf does when the file cannot be opened. */
export async function readPdfPart(bytes: Uint8Array, name: string, options: PdfLoadOptions): Promise<PdfPart> {
  const tasks: LoadingTask[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const cMaps = cMapSource(options.cMaps);
  const parse = (async () => {
    const { getDocument, VerbosityLevel } = await getResolvedPDFJS();
    const open = (data: Uint8Array) => {
      // Once the time limit is hit, no second reading starts: its task would outlive the cleanup below.
      if (stopped) throw new Error("PDF loading was cancelled");
      const task = getDocument({ data, isEvalSupported: false, useSystemFonts: true, verbosity: VerbosityLevel.ERRORS, BinaryDataFactory: cMaps.factory, useWorkerFetch: false });
      tasks.push(task);
      return task;
    };
    // pdf.js may transfer (detach) the buffer it is given: hand it a copy, not the caller's bytes.
    const { read, warnings, repaired } = await readWithRepair(bytes, async (data) => readPdf(open(data), options));
    return await toPart(read, name, options.ocr, [...warnings, ...cMapWarnings(cMaps.missing)], repaired);
  })();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadError("timeout", `PDF took longer than ${options.timeoutMs} ms to load; try a smaller file`)), options.timeoutMs);
  });
  try {
    return await Promise.race([parse, deadline]);
  } catch (error) {
    throw asLoadError(error);
  } finally {
    stopped = true;
    clearTimeout(timer);
    // An abandoned parse rejects once its task is destroyed: that rejection is expected.
    parse.catch(() => undefined);
    await Promise.all(tasks.map((task) => task.destroy().catch(() => undefined)));
  }
}

/** Every page of the range read, or a reason; throws only when the document itself cannot be opened. */
async function readPdf(task: LoadingTask, { pages: choose, onPage }: PdfLoadOptions): Promise<PdfRead> {
  const pdf = await task.promise;
  const chosen = choose?.(pdf.numPages) ?? { first: 1, last: pdf.numPages };
  // A repaired file may have fewer pages than the one the range was chosen for.
  const last = () => Math.min(chosen.last, pdf.numPages);
  // Reading a page's annotations costs as much as its text (a 10-Q's hundreds of links):
  // they are read where they can matter, on every page of a form and on pages without text.
  const hasForm = (await pdf.getFieldObjects().catch(() => null)) !== null;
  const pages: PageRead[] = [];
  for (let page = chosen.first; page <= last(); page++) {
    if (task.destroyed) throw new Error("PDF loading was cancelled");
    await onPage?.(page);
    try {
      const proxy = await pdf.getPage(page);
      const sections: LoadedSection[] = [];
      const text = cleanPdfText(await pageText(proxy));
      if (text) sections.push({ text, page });
      for (const note of hasForm || !text ? await pageNotes(proxy) : []) {
        const noteText = cleanPdfText(note.text);
        if (noteText) sections.push({ text: noteText, page, heading: note.heading });
      }
      pages.push({ page, sections });
    } catch (error) {
      pages.push({ page, sections: [], failed: error instanceof Error ? error.message : String(error) });
    }
  }
  return { pdf, range: { first: chosen.first, last: last() }, pages };
}

const textLength = (read: PdfRead) => read.pages.reduce((n, p) => n + p.sections.reduce((m, s) => m + s.text.length, 0), 0);

/**
 * Reads `bytes`; when pages fail or come back empty (or the file does not open), reads the
 * repaired file too, if pdf-repair.ts finds anything to repair, and keeps the reading with
 * more text. A password error is final: nothing to repair.
 */
async function readWithRepair(bytes: Uint8Array, read: (data: Uint8Array) => Promise<PdfRead>): Promise<{ read: PdfRead; warnings: string[]; repaired: boolean }> {
  let first: PdfRead | undefined;
  let failure: unknown;
  try {
    first = await read(bytes.slice());
    if (first.pages.every((p) => !p.failed && p.sections.length > 0)) return { read: first, warnings: [], repaired: false };
  } catch (error) {
    if (error instanceof Error && error.name === "PasswordException") throw error;
    failure = error;
  }
  // A repair that fails (a hostile structure) leaves the first reading as it is. Streams are
  // inflated in full only when a page failed: merely empty pages are common (blank, scanned).
  const repaired = await repairPdf(bytes, { inflateAll: !first || first.pages.some((p) => p.failed) }).catch(() => undefined);
  if (repaired) {
    const second = await read(repaired.bytes).catch(() => undefined);
    if (second && (!first || textLength(second) > textLength(first))) return { read: second, warnings: repaired.repairs, repaired: true };
  }
  if (!first) throw failure;
  return { read: first, warnings: [], repaired: false };
}

/** The range's sections, with OCR of its pages that have no text layer when `ocr` is given. */
async function toPart({ pdf, range, pages }: PdfRead, name: string, ocr: PageOcr | undefined, warnings: string[], repaired: boolean): Promise<PdfPart> {
  const sections: LoadedSection[] = [];
  const failed: PdfPart["failed"] = [];
  for (const { page, sections: read, failed: why } of pages) {
    sections.push(...read);
    if (why) failed.push({ page, why });
    if (read.some((s) => s.heading === undefined) || why || !ocr) continue;
    const text = cleanPdfText(
      await ocr.readPage(pdf, page).catch((error: unknown) => {
        throw new LoadError("ocr_failed", `OCR of page ${page} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }),
    );
    if (text) sections.push({ text, page, heading: OCR_HEADING });
  }
  return { title: (await metadataTitle(pdf)) ?? name, pages: pdf.numPages, range, sections, failed, warnings, repaired, ocr: ocr !== undefined };
}

/**
 * A PDF from the parts that cover its pages (one, or several read in parallel), with the
 * checks that need every page: `corrupt` when no page could be read, `no_text` when none
 * has text. A page that could not be read is a warning.
 */
export function pdfDocument(parts: PdfPart[]): LoadedDocument {
  const ordered = [...parts].sort((a, b) => a.range.first - b.range.first);
  const { title, pages, ocr } = ordered[0]!;
  const sections = ordered.flatMap((p) => p.sections);
  const failed = ordered.flatMap((p) => p.failed);
  const read = ordered.reduce((n, p) => n + p.range.last - p.range.first + 1, 0);
  if (failed.length === read && failed.length > 0) throw new LoadError("corrupt", `corrupt PDF: no page could be read (page ${failed[0]!.page}: ${failed[0]!.why})`);
  const warnings = [...new Set([...ordered.flatMap((p) => p.warnings), ...failed.map(({ page, why }) => `page ${page} could not be read and was skipped: ${why}`)])];
  if (sections.length === 0) {
    if (warnings.length > 0) throw new LoadError("no_text", `no text found: ${warnings.join("; ")}`);
    throw new LoadError("no_text", ocr ? "no text found: no page has a text layer, and OCR read nothing from the page images" : "no extractable text (scanned? set OCR_MODEL to read page images)");
  }
  return { format: "pdf", title, pages, sections, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** Why text may be missing when pdf.js needed predefined CMaps this runtime could not give. */
function cMapWarnings(missing: Set<string>): string[] {
  if (missing.size === 0) return [];
  return [`Chinese, Japanese or Korean text was not read: its fonts are not embedded and need Adobe's predefined CMaps (${[...missing].join(", ")}), which this runtime does not have (the Node runtime does)`];
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
