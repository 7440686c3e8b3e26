export { cleanPdfText, isCjk, normalizeText } from "./clean-text.js";
export { decodeText } from "./decode-text.js";
export { SUPPORTED_EXTENSIONS, detectFormat, identifyFile, loadDocument, type LoadOptions } from "./load-document.js";
export { LoadError, type LoadFailure } from "./load-error.js";
export { OCR_HEADING, type PageRange, type PdfPart, pdfDocument, readPdfPart } from "./load-pdf.js";
export { ANNOTATIONS_HEADING, FORM_FIELDS_HEADING } from "./pdf-annotations.js";
export type { CMapReader, DocumentFormat, LoadedDocument, LoadedSection, PageOcr, PdfDocument } from "./types.js";
