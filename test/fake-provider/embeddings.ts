/** `POST /v1/embeddings`, as hosted NIM (strict) or a self-hosted vLLM-like server (lenient). */
import { z } from "zod";
import { batchTooLarge, inputTooLong, unknownModel, validationFailed } from "./errors.js";
import { findModel } from "./models.js";
import { estimateTokens, truncateToTokens } from "./tokens.js";
import { httpReply, type Reply, type ResolvedOptions } from "./types.js";
import { fakeEmbedding, toBase64 } from "./vectors.js";

const input = z.union([z.string(), z.array(z.string()).min(1)]);
const encodingFormat = z.enum(["float", "base64"]).optional();
const truncate = z.enum(["NONE", "START", "END"]).optional();

// NIM rejects unknown fields (pydantic extra="forbid"): sending `dimensions` to a
// model without it is a 400, so clients must send only what the model takes.
const NimBody = z.strictObject({
  model: z.string(),
  input,
  input_type: z.enum(["query", "passage"]).optional(),
  encoding_format: encodingFormat,
  truncate,
  user: z.string().optional(),
});

// vLLM/Ollama/TEI ignore what they do not read, input_type included.
const OpenAIBody = z.looseObject({ model: z.string(), input, encoding_format: encodingFormat, truncate });

export function embeddings(body: unknown, options: ResolvedOptions): Reply {
  const { flavor } = options;
  const requested = (body as { model?: unknown } | null)?.model;
  // The hosted API routes by model before the function validates the body.
  const model = typeof requested === "string" ? findModel(flavor, requested, "embedding") : undefined;
  if (typeof requested === "string" && !model) return unknownModel(flavor, requested);

  const parsed = (flavor === "nim" ? NimBody : OpenAIBody).safeParse(body);
  if (!parsed.success) return validationFailed(flavor, parsed.error, body);
  const request = parsed.data;
  const entry = model!.entry;

  if (flavor === "nim" && entry.asymmetric) {
    const inputType = "input_type" in request ? request.input_type : undefined;
    if (!inputType && !model!.inputType) {
      return httpReply(400, { error: "'input_type' parameter is required for asymmetric models" });
    }
  }

  const texts = typeof request.input === "string" ? [request.input] : request.input;
  if (options.maxBatch !== undefined && texts.length > options.maxBatch) {
    return batchTooLarge(flavor, texts.length, options.maxBatch);
  }

  const maxTokens = entry.maxTokens ?? 8192;
  const side = request.truncate ?? "NONE";
  const kept: string[] = [];
  let promptTokens = 0;
  for (const text of texts) {
    const tokens = estimateTokens(text);
    if (tokens > maxTokens && side === "NONE") return inputTooLong(flavor, tokens, maxTokens);
    const cut = tokens > maxTokens && side !== "NONE" ? truncateToTokens(text, maxTokens, side) : text;
    kept.push(cut);
    promptTokens += cut === text ? tokens : estimateTokens(cut);
  }

  const base64 = request.encoding_format === "base64";
  const data = kept.map((text, index) => {
    const vector = fakeEmbedding(text);
    return { object: "embedding", index, embedding: base64 ? toBase64(vector) : vector };
  });
  // Reversed on purpose: the API does not promise order, clients must sort by index.
  data.reverse();
  return httpReply(200, {
    object: "list",
    data,
    model: request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
