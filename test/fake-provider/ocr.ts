/**
 * NeMo Retriever OCR (`POST /v1/cv/nvidia/nemoretriever-ocr-v1`, hosted under
 * https://ai.api.nvidia.com/v1): `{"input":[{"type":"image_url","url":"data:image/png;base64,…"}]}`
 * in, text detections with boxes out (REFERENCE.md). PNG and JPEG only; hosted NIM takes
 * inline images up to about 180 KB of base64. The fake cannot read: its "text" names what
 * it was sent (format and pixel size, read from the image header), so a test knows what
 * to expect from a known rendering. Vision chat models (vision.ts) read images the same way.
 */
import { z } from "zod";
import { badRequest, validationFailed } from "./errors.js";
import { type Flavor, httpReply, type Reply, type ResolvedOptions } from "./types.js";

export const INLINE_IMAGE_LIMIT = 180_000;

export type ImageInfo = { format: "png" | "jpeg"; width: number; height: number };

const OcrBody = z.looseObject({
  input: z.array(z.looseObject({ type: z.literal("image_url"), url: z.string() })).min(1),
});

/** Format and size from the PNG IHDR or the JPEG SOF marker; undefined for anything else. */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length > 24 && view.getUint32(0) === 0x89504e47) return { format: "png", width: view.getUint32(16), height: view.getUint32(20) };
  if (bytes.length < 4 || view.getUint16(0) !== 0xffd8) return undefined;
  for (let at = 2; at + 9 < bytes.length; ) {
    const marker = view.getUint16(at);
    const length = view.getUint16(at + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xffc0 && marker <= 0xffcf && ![0xffc4, 0xffc8, 0xffcc].includes(marker)) return { format: "jpeg", height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    at += 2 + length;
  }
  return undefined;
}

/**
 * An inline image as hosted NIM takes it: a PNG or JPEG base64 data URL within the inline
 * limit (larger images go through NVCF's asset upload, which the fake does not serve).
 * `field` names the URL's place in the body for the 400.
 */
export function inlineImage(flavor: Flavor, url: string, field: string): { info: ImageInfo } | { error: Reply } {
  const match = /^data:image\/(png|jpeg);base64,(.*)$/s.exec(url);
  if (!match) return { error: badRequest(flavor, `${field}: expected a data:image/png or data:image/jpeg base64 URL`) };
  const base64 = match[2]!;
  if (base64.length > INLINE_IMAGE_LIMIT) return { error: badRequest(flavor, `${field}: inline image too large (${base64.length} bytes of base64; limit ${INLINE_IMAGE_LIMIT}); upload it as an asset instead`) };
  const info = imageInfo(Uint8Array.from(Buffer.from(base64, "base64")));
  if (!info || info.format !== match[1]) return { error: badRequest(flavor, `${field}: the data is not a valid ${match[1]} image`) };
  return { info };
}

/** The fake's reading of an image. */
export function fakeOcrText(info: { format: string; width: number; height: number }): string {
  return `Scanned page read by OCR: a ${info.width} by ${info.height} ${info.format} image of the harbour tide table.`;
}

export function ocr(body: unknown, options: ResolvedOptions): Reply {
  const { flavor } = options;
  const parsed = OcrBody.safeParse(body);
  if (!parsed.success) return validationFailed(flavor, parsed.error, body);
  const data = [];
  for (const [index, item] of parsed.data.input.entries()) {
    const image = inlineImage(flavor, item.url, `input[${index}].url`);
    if ("error" in image) return image.error;
    const { info } = image;
    const { width, height } = info;
    data.push({
      index,
      text_detections: [
        {
          text_prediction: { text: fakeOcrText(info), confidence: 0.97 },
          bounding_box: {
            type: "quadrilateral",
            points: [
              { x: 0.1, y: 0.1 },
              { x: 0.9, y: 0.1 },
              { x: 0.9, y: 0.2 },
              { x: 0.1, y: 0.2 },
            ],
          },
        },
      ],
      model_info: { image_width: width, image_height: height },
    });
  }
  return httpReply(200, { data });
}
