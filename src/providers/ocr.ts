/**
 * OCR through a provider: the text in a page image (a data URL). NeMo Retriever OCR
 * (`nvidia/nemoretriever-ocr-v1`) has its own API, `POST {base}/cv/nvidia/nemoretriever-ocr-v1`
 * with `{"input":[{"type":"image_url","url":…}]}`, answering text detections with boxes;
 * any other model is taken to be an OpenAI-compatible vision chat model and asked to
 * transcribe the image. Calls go through the provider's transport (pacing in the batch
 * lane, retries, key redaction) like every other provider call.
 */
import { z } from "zod";
import type { CallOptions, Transport } from "./transport.js";

export const NEMO_RETRIEVER_OCR = "nvidia/nemoretriever-ocr-v1";

export interface ImageTextReader {
  readonly model: string;
  /** The text in the image, in reading order; "" when there is none. */
  read(dataUrl: string, options?: Pick<CallOptions, "signal">): Promise<string>;
}

/** Only what is read: each detection's text (boxes and confidences are ignored). */
const detectionsSchema = z.object({
  data: z.array(z.object({ text_detections: z.array(z.object({ text_prediction: z.object({ text: z.string() }) })).default([]) })),
});

const chatSchema = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }) })).min(1) });

const TRANSCRIBE = "Transcribe all the text in this scanned page, in reading order, as plain text. Keep paragraphs apart with a blank line. Output only the text; if the page has no text, output nothing.";

export function createImageTextReader(options: { transport: Transport; model: string }): ImageTextReader {
  const { transport, model } = options;
  const call = (signal: AbortSignal | undefined): CallOptions => ({ signal, model, lane: "batch" });

  if (model === NEMO_RETRIEVER_OCR) {
    return {
      model,
      async read(url, { signal } = {}) {
        const result = await transport.postJson(`/cv/${model}`, { input: [{ type: "image_url", url }] }, detectionsSchema, call(signal));
        // The model orders its detections for reading (its relational module): kept as given.
        const detections = result.data[0]?.text_detections ?? [];
        return detections
          .map((d) => d.text_prediction.text.trim())
          .filter(Boolean)
          .join("\n");
      },
    };
  }
  return {
    model,
    async read(url, { signal } = {}) {
      const body = {
        model,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: TRANSCRIBE },
              { type: "image_url", image_url: { url } },
            ],
          },
        ],
        temperature: 0,
        max_tokens: 4096,
        stream: false,
      };
      const result = await transport.postJson("/chat/completions", body, chatSchema, call(signal));
      return (result.choices[0]!.message.content ?? "").trim();
    },
  };
}
