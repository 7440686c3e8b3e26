/**
 * The scanned (image-only) fixture PDFs the OCR tests read (py-pdf samples, see
 * test/fixtures/LICENCES.md), and the page image an OCR request carried, decoded from its
 * data URL so a test can predict the fake's reading of it (fakeOcrText).
 */
import { readFile } from "node:fs/promises";
import { imageInfo } from "../fake-provider/index.js";
import { FIXTURES } from "./ingest-data.js";

const SCANNED = { "grayscale-image.pdf": "019-grayscale-image_grayscale-image.pdf", "ccitt-fax.pdf": "007-imagemagick-images_imagemagick-CCITTFaxDecode.pdf" } as const;

export type ScannedPdf = keyof typeof SCANNED;
export const SCANNED_PDFS = Object.keys(SCANNED) as ScannedPdf[];

export async function scanned(name: ScannedPdf): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(`${FIXTURES}pdfs/${SCANNED[name]}`));
}

/** A `data:image/…;base64,…` URL's payload and the format and size in its header. */
export function decodeDataUrl(url: string) {
  const base64 = url.slice(url.indexOf(",") + 1);
  const info = imageInfo(Uint8Array.from(Buffer.from(base64, "base64")));
  if (!info) throw new Error(`not a PNG or JPEG data URL: ${url.slice(0, 40)}…`);
  return { url, base64, info };
}
