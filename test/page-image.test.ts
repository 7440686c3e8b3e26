import { loadImage, createCanvas } from "@napi-rs/canvas";
import { getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import { renderPageImage } from "../ingest/node/page-image.js";
import { INLINE_IMAGE_LIMIT } from "./fake-provider/index.js";
import { textPdf } from "./helpers/generated-pdf.js";
import { decodeDataUrl, scanned } from "./helpers/ocr-scans.js";

/**
 * Page images for OCR, decoded back to pixels: what an OCR model would see. The fake
 * reads only an image's header, so only here can a test tell a real page from a blank one.
 */
async function pixels(dataUrl: string) {
  const image = await loadImage(Buffer.from(decodeDataUrl(dataUrl).base64, "base64"));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, image.width, image.height).data;
  let darkest = 255;
  let lightest = 0;
  let colour = 0;
  for (let i = 0; i < data.length; i += 4) {
    darkest = Math.min(darkest, data[i]!);
    lightest = Math.max(lightest, data[i]!);
    colour = Math.max(colour, Math.abs(data[i]! - data[i + 1]!), Math.abs(data[i + 1]! - data[i + 2]!));
  }
  return { width: image.width, height: image.height, darkest, lightest, colour };
}

describe("page images for OCR", () => {
  it("draws a scanned page's own pixels, in grey, as a JPEG within the inline limit", async () => {
    const pdf = await getDocumentProxy(await scanned("grayscale-image.pdf"));
    const url = await renderPageImage(pdf, 1).finally(() => pdf.destroy());
    expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
    expect(decodeDataUrl(url).base64.length).toBeLessThanOrEqual(INLINE_IMAGE_LIMIT);
    const seen = await pixels(url);
    expect(Math.max(seen.width, seen.height)).toBe(2000);
    // Not a blank page: the scan's dark and light areas are both there.
    expect(seen.darkest).toBeLessThan(40);
    expect(seen.lightest).toBeGreaterThan(200);
    expect(seen.colour).toBeLessThanOrEqual(3);
  });

  it("draws a page's text too (pdf.js's font hand-over works on Node 20)", async () => {
    const pdf = await getDocumentProxy(textPdf([{ paragraphs: [["HARBOUR TIDE TABLE", "High water 06:12 and 18:40"]] }], "tides"));
    const url = await renderPageImage(pdf, 1).finally(() => pdf.destroy());
    const seen = await pixels(url);
    expect([seen.darkest < 60, seen.lightest > 240]).toEqual([true, true]);
  });

  it("shrinks a page too detailed for the inline limit until it fits, keeping its content", async () => {
    // Our own page: a 1600×1300 grey pattern, no text; at 2000 px it is about 300 KB of base64.
    const pdf = await getDocumentProxy(textPdf([{ paragraphs: [], image: { width: 1600, height: 1300 } }], "busy scan"));
    const render = async () => {
      try {
        // In turn, as a parse worker renders pages.
        return [await renderPageImage(pdf, 1, { maxBase64Bytes: 10_000_000 }), await renderPageImage(pdf, 1), await renderPageImage(pdf, 1, { maxBase64Bytes: 40_000 })];
      } finally {
        await pdf.destroy();
      }
    };
    const [large, url, tight] = await render();
    expect(decodeDataUrl(large!).base64.length).toBeGreaterThan(INLINE_IMAGE_LIMIT);
    expect(decodeDataUrl(url!).base64.length).toBeLessThanOrEqual(INLINE_IMAGE_LIMIT);
    const seen = await pixels(url!);
    expect(Math.max(seen.width, seen.height)).toBeLessThan(2000);
    expect(Math.max(seen.width, seen.height)).toBeGreaterThanOrEqual(1000);
    expect([seen.darkest < 40, seen.lightest > 200]).toEqual([true, true]);
    expect(decodeDataUrl(tight!).base64.length).toBeLessThanOrEqual(40_000);
  });
});
