/**
 * A PDF page as an image small enough to send inline to hosted NIM (about 180 KB of
 * base64; larger images need NVCF's asset upload, REFERENCE.md): rendered by pdf.js
 * through unpdf onto @napi-rs/canvas (prebuilt, no system packages), turned grey, and
 * encoded as JPEG, shrinking until it fits. Node-only: the canvas is a native module.
 */
import { renderPageAsImage } from "unpdf";
import type { PdfDocument } from "../loaders/types.js";

export interface PageImageOptions {
  /** Longest base64 payload (the data URL's body), default 180_000. */
  maxBase64Bytes?: number;
  /** Longest side of the first attempt, in pixels, default 2000 (about 180 dpi for A4). */
  maxSide?: number;
}

const canvasImport = () => import("@napi-rs/canvas");

/**
 * pdf.js in unpdf 1.7 hands font data to its renderer with `ArrayBuffer#transferToFixedLength`,
 * which Node 20 lacks (Node 21+): without it the drawing of a page stops at its first font
 * ("ignoring errors during GetOperatorList"), so no text and nothing after it is drawn. A
 * copy serves: pdf.js does not use the old buffer again. Installed only where missing.
 */
function supplyTransferToFixedLength(): void {
  const proto = ArrayBuffer.prototype as { transferToFixedLength?: (length?: number) => ArrayBuffer };
  if (typeof proto.transferToFixedLength === "function") return;
  Object.defineProperty(ArrayBuffer.prototype, "transferToFixedLength", {
    configurable: true,
    writable: true,
    value(this: ArrayBuffer, length = this.byteLength): ArrayBuffer {
      const copy = new ArrayBuffer(length);
      new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
      return copy;
    },
  });
}

/** `data:image/jpeg;base64,…` of page `page` (1-based), grayscale, within the size limit. */
export async function renderPageImage(pdf: PdfDocument, page: number, options: PageImageOptions = {}): Promise<string> {
  supplyTransferToFixedLength();
  const limit = options.maxBase64Bytes ?? 180_000;
  const { createCanvas, loadImage } = await canvasImport();
  const viewport = (await pdf.getPage(page)).getViewport({ scale: 1 });
  const longest = Math.max(viewport.width, viewport.height);
  let side = options.maxSide ?? 2000;
  const png = await renderPageAsImage(pdf, page, { canvasImport, scale: side / longest });
  // Decoding is asynchronous: an Image drawn straight after `src =` has its size but no pixels (a blank page).
  const image = await loadImage(Buffer.from(png));
  // Text stays legible in grey at modest JPEG quality; each miss shrinks the page by a fifth.
  for (let attempt = 0; attempt < 12; attempt++) {
    const scale = side / Math.max(image.width, image.height);
    const canvas = createCanvas(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const data = pixels.data;
    for (let i = 0; i < data.length; i += 4) {
      const grey = Math.round(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
      data[i] = data[i + 1] = data[i + 2] = grey;
    }
    context.putImageData(pixels, 0, 0);
    const base64 = (await canvas.encode("jpeg", 70)).toString("base64");
    if (base64.length <= limit) return `data:image/jpeg;base64,${base64}`;
    side = Math.floor(side * 0.8);
  }
  throw new Error(`page ${page} does not fit in ${limit} bytes of base64 even at a small size`);
}
