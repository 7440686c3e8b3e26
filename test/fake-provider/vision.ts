/**
 * Vision input to chat, in the OpenAI / NIM chat format: `messages[].content` is a string
 * or a list of parts, `{type:"text",text}` and `{type:"image_url",image_url:{url,detail?}}`.
 * As hosted NIM documents (REFERENCE.md; NIM's VLM API reference): images come only from
 * the user, inline as PNG or JPEG base64 data URLs up to about 180 KB of base64, and only
 * vision models take them. A text-only model refuses an image with a 400 (the hosted body
 * text is unknown: this one names the field). A vision model's "reading" of an image is
 * fakeOcrText of its header, as the OCR endpoint's is, so a test knows what to expect.
 */
import { z } from "zod";
import { badRequest } from "./errors.js";
import type { ModelEntry } from "./models.js";
import { fakeOcrText, inlineImage } from "./ocr.js";
import type { Flavor, Reply } from "./types.js";

export const ContentPart = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({
    type: z.literal("image_url"),
    image_url: z.looseObject({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
  }),
]);
export type ContentPart = z.infer<typeof ContentPart>;

interface Message {
  role: string;
  content?: string | ContentPart[] | null;
}

/** The model's readings of the images in `messages`, in order (none for text-only requests), or the 400 the provider gives. */
export function readImages(flavor: Flavor, model: ModelEntry, messages: Message[]): { readings: string[] } | { error: Reply } {
  const refuse = (detail: string) => ({ error: badRequest(flavor, detail) });
  const readings: string[] = [];
  for (const [i, message] of messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    for (const [j, part] of message.content.entries()) {
      if (part.type !== "image_url") continue;
      const field = `messages[${i}].content[${j}]`;
      if (!model.vision) return refuse(`${field}: model '${model.id}' does not accept image input`);
      if (message.role !== "user") return refuse(`${field}: images are accepted only in messages with role user, not ${message.role}`);
      const image = inlineImage(flavor, part.image_url.url, `${field}.image_url.url`);
      if ("error" in image) return image;
      readings.push(fakeOcrText(image.info));
    }
  }
  const { maxImages, systemWithImages } = model.vision ?? {};
  if (maxImages !== undefined && readings.length > maxImages) return refuse(`messages: '${model.id}' accepts at most ${maxImages} image(s) per request, got ${readings.length}`);
  if (readings.length > 0 && systemWithImages === false && messages.some((m) => m.role === "system")) return refuse(`messages: '${model.id}' does not accept a system message together with an image`);
  return { readings };
}
