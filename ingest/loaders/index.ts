export { cleanPdfText, isCjk, normalizeText } from "./clean-text.js";
export { decodeText } from "./decode-text.js";
export { detectFormat, loadDocument, type LoadOptions } from "./load-document.js";
export { LoadError, type LoadFailure } from "./load-error.js";
export type { DocumentFormat, LoadedDocument, LoadedSection } from "./types.js";
