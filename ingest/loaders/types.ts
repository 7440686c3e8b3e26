/** What every loader returns: plain text in sections, with where each came from. */
import type { getDocumentProxy } from "unpdf";

export type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

export interface LoadedSection {
  text: string;
  /** 1-based page number (PDF only). */
  page?: number;
  /** Heading path, outermost first: `Guide > Install > Linux`. Absent before the first heading. */
  heading?: string;
}

export interface LoadedDocument {
  format: "pdf" | "markdown" | "html" | "text";
  title: string;
  /** Page count (PDF only). */
  pages?: number;
  sections: LoadedSection[];
  /** What was read despite damage, or left unread (PDF only: a skipped page, a repaired stream). */
  warnings?: string[];
}

export type DocumentFormat = LoadedDocument["format"];

/**
 * Reads the text of a PDF page that has no text layer from an image of it (OCR). Given
 * to the loader by the runtime that can render pages (Node); absent, such pages stay
 * unreadable and a PDF made only of them fails as `no_text`.
 */
export interface PageOcr {
  readPage(pdf: PdfDocument, page: number): Promise<string>;
}

/**
 * Reads one of Adobe's predefined CMaps by name (`UniGB-UCS2-H`), in pdf.js's packed
 * `.bcmap` form. Given to the loader by a runtime that has them (Node: pdfjs-dist's
 * `cmaps/`); absent, Chinese, Japanese and Korean text in fonts that are not embedded
 * cannot be read (see pdf-cmaps.ts).
 */
export interface CMapReader {
  read(name: string): Promise<Uint8Array>;
}
