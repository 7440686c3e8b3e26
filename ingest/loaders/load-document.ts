import { LoadError } from "./load-error.js";
import { loadHtml } from "./load-html.js";
import { loadMarkdown } from "./load-markdown.js";
import { loadPdf } from "./load-pdf.js";
import { loadText } from "./load-text.js";
import type { CMapReader, DocumentFormat, LoadedDocument, PageOcr } from "./types.js";

const FORMATS: Record<string, DocumentFormat> = {
  ".pdf": "pdf",
  ".md": "markdown",
  ".markdown": "markdown",
  ".html": "html",
  ".htm": "html",
  ".txt": "text",
  ".text": "text",
};

/** The file extensions askdocs reads, in the order people are told them. */
export const SUPPORTED_EXTENSIONS = Object.keys(FORMATS);

export interface LoadOptions {
  /** Time limit for parsing one PDF, in milliseconds. @default 60_000 */
  timeoutMs?: number;
  /** Reads PDF pages that have no text layer (default: none, such pages are skipped). */
  ocr?: PageOcr | undefined;
  /** Adobe's predefined CMaps, for Chinese, Japanese and Korean text in PDF fonts that are not embedded (default: none, such text is not read). */
  cMaps?: CMapReader | undefined;
}

/** The format a file name's extension (case-insensitive) stands for, or undefined. */
export function detectFormat(name: string): DocumentFormat | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : FORMATS[name.slice(dot).toLowerCase()];
}

/**
 * Reads one uploaded file into text sections. Takes bytes and the file's name (never a
 * path), so it runs anywhere: Node, or a Worker handling an HTTP upload. Every failure
 * is a LoadError saying what is wrong with the file (see its `reason`).
 */
export async function loadDocument(bytes: Uint8Array, name: string, options: LoadOptions = {}): Promise<LoadedDocument> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`Expected \`timeoutMs\` to be a finite number > 0, got \`${timeoutMs}\` (${typeof timeoutMs})`);
  }
  const { fileName, format } = identifyFile(bytes, name);
  const document =
    format === "pdf"
      ? await loadPdf(bytes, fileName, { timeoutMs, ocr: options.ocr, cMaps: options.cMaps })
      : format === "markdown"
        ? loadMarkdown(bytes, fileName)
        : format === "html"
          ? loadHtml(bytes, fileName)
          : loadText(bytes, fileName);
  if (!document.sections.some((section) => section.text.trim())) throw empty(fileName);
  return document;
}

/** The name a file is reported by (no folders) and its format; fails for an unsupported type or no bytes. */
export function identifyFile(bytes: Uint8Array, name: string): { fileName: string; format: DocumentFormat } {
  const fileName = name.split(/[\\/]/).pop() || name;
  const format = detectFormat(fileName);
  if (!format) {
    throw new LoadError("unsupported", `unsupported file type "${fileName}": supported types are ${SUPPORTED_EXTENSIONS.join(", ")}`);
  }
  if (bytes.length === 0) throw empty(fileName);
  return { fileName, format };
}

function empty(name: string): LoadError {
  return new LoadError("empty", `"${name}" contains no text`);
}
