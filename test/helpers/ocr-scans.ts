/**
 * What the OCR tests share: the scanned (image-only) fixture PDFs (py-pdf samples, see
 * test/fixtures/LICENCES.md), a parse pool whose OCR goes to the fake, and the check that
 * a scan came back as the fake's reading of the page image it was sent.
 */
import { readFile } from "node:fs/promises";
import { expect } from "vitest";
import type { DocumentParser, ParsedFile } from "../../ingest/document-parser.js";
import { OCR_HEADING } from "../../ingest/loaders/index.js";
import { createParsePool } from "../../ingest/node/parse-pool.js";
import { createImageTextReader } from "../../src/providers/ocr.js";
import type { TransportOptions } from "../../src/providers/transport.js";
import { type FakeProvider, fakeOcrText, imageInfo, INLINE_IMAGE_LIMIT } from "../fake-provider/index.js";
import { fakeTransport } from "../providers/helpers.js";
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

/** One worker thread whose OCR calls `model` on the fake. */
export function ocrPool(fake: FakeProvider, model: string, transport: Partial<TransportOptions> = {}, size = 1): DocumentParser {
  const reader = createImageTextReader({ transport: fakeTransport(fake, transport), model });
  return createParsePool({ embedModel: "nvidia/nv-embedqa-e5-v5", size, readImage: (url) => reader.read(url) });
}

/** A one-page scan read by OCR: sent as a grey JPEG within the inline limit at a legible size, stored as the reading of that image. */
export function expectReadByOcr(parsed: ParsedFile, sentUrl: string): void {
  const { url, base64, info } = decodeDataUrl(sentUrl);
  expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
  expect(base64.length).toBeLessThanOrEqual(INLINE_IMAGE_LIMIT);
  expect(Math.max(info.width, info.height)).toBeGreaterThanOrEqual(500);
  expect(parsed.chunks.map((c) => [c.page, c.heading, c.text])).toEqual([[1, OCR_HEADING, fakeOcrText(info)]]);
}
