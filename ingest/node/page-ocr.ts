/**
 * OCR for the PDF loader (Node): renders a page without a text layer to an image and
 * hands it to `readImage` (the provider call, in the main thread; from a worker thread,
 * a message to it). Node-only because rendering is (page-image.ts).
 */
import type { PageOcr } from "../loaders/types.js";
import { type PageImageOptions, renderPageImage } from "./page-image.js";

/** Reads the text in an image given as a data URL. */
export type ImageReader = (dataUrl: string) => Promise<string>;

export function createPageOcr(readImage: ImageReader, options: PageImageOptions = {}): PageOcr {
  return {
    async readPage(pdf, page) {
      return readImage(await renderPageImage(pdf, page, options));
    },
  };
}
