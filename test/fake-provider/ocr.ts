import { z } from "zod";
import { badRequest, validationFailed } from "./errors.js";
import { httpReply, type Reply, type ResolvedOptions } from "./types.js";

/**
 * NeMo Retriever OCR (`POST /v1/cv/nvidia/nemoretriever-ocr-v1`, hosted under
 * https://ai.api.nvidia.com/v1): `{"input":[{"type":"image_url","url":"data:image/png;base64,…"}]}`
 * in, text detections with boxes out (REFERENCE.md). PNG and JPEG only; hosted NIM takes
 * inline images up to about 180 KB of base64. The fake cannot read: its "text" names what
 * it was sent (format and pixel size, read from the image header), so a test knows what
 * to expect from a known rendering.
 */
export const INLINE_IMAGE_LIMIT = 180_000;

const OcrBody = z.looseObject({
  input: z.array(z.looseObject({ type: z.literal("image_url"), url: z.string() })).min(1),
});

/** Format and size from the PNG IHDR or the JPEG SOF marker; undefined for anything else. */
export function imageInfo(bytes: Uint8Array): { format: "png" | "jpeg"; width: number; height: number } | undefined {
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
    const match = /^data:image\/(png|jpeg);base64,(.*)$/s.exec(item.url);
    if (!match) return badRequest(flavor, `input[${index}].url: expected a data:image/png or data:image/jpeg base64 URL`);
    if (match[2]!.length > INLINE_IMAGE_LIMIT) return badRequest(flavor, `input[${index}]: inline image too large (${match[2]!.length} bytes of base64; limit ${INLINE_IMAGE_LIMIT}); upload it as an asset instead`);
    const info = imageInfo(Uint8Array.from(Buffer.from(match[2]!, "base64")));
    if (!info || info.format !== match[1]) return badRequest(flavor, `input[${index}]: the data is not a valid ${match[1]} image`);
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
