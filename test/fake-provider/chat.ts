/**
 * `POST /v1/chat/completions` in the OpenAI format, streaming or not. Text is answered
 * extractively (responder.ts); a vision model sent an image answers with its reading of
 * it (vision.ts).
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { unknownModel, validationFailed } from "./errors.js";
import { findModel } from "./models.js";
import { renderMessage, respond, splitDeltas } from "./responder.js";
import { estimateTokens } from "./tokens.js";
import { httpReply, type Reply, type ResolvedOptions } from "./types.js";
import { ContentPart, readImages } from "./vision.js";

const Message = z.looseObject({
  role: z.string(),
  // Assistant turns with tool calls may carry null content.
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});
const ChatBody = z.looseObject({
  model: z.string(),
  messages: z.array(Message).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});

function textOf(content: z.infer<typeof Message>["content"]): string {
  if (typeof content === "string") return content;
  return (content ?? []).map((p) => (p.type === "text" ? p.text : "")).join("\n");
}

export function chat(body: unknown, options: ResolvedOptions): Reply {
  const { flavor } = options;
  const requested = (body as { model?: unknown } | null)?.model;
  const model = typeof requested === "string" ? findModel(flavor, requested, "chat") : undefined;
  if (typeof requested === "string" && !model) return unknownModel(flavor, requested);

  const parsed = ChatBody.safeParse(body);
  if (!parsed.success) return validationFailed(flavor, parsed.error, body);
  const request = parsed.data;
  const style = model!.entry.reasoning ?? "plain";
  const images = readImages(flavor, model!.entry, request.messages);
  if ("error" in images) return images.error;

  const messages = request.messages.map((m) => ({ role: m.role, text: textOf(m.content) }));
  const reply = images.readings.length > 0 ? { answer: images.readings.join("\n\n"), reasoning: "" } : respond(messages);
  const message = renderMessage(reply, style);
  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.text), 0);
  const completionTokens = estimateTokens(message.content) + estimateTokens(message.reasoning_content ?? message.reasoning ?? "");
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
  const created = Math.floor(Date.now() / 1000);

  if (!request.stream) {
    return httpReply(200, {
      id,
      object: "chat.completion",
      created,
      model: request.model,
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }],
      usage,
    });
  }

  const chunk = (choices: unknown[], extra?: object) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: request.model,
    choices,
    ...extra,
  });
  const deltas: Record<string, string>[] = [];
  // Field-style reasoning streams first, in its own field; tag styles are already inside content.
  const field = style === "reasoning_content" || style === "reasoning" ? style : undefined;
  if (field) for (const piece of splitDeltas(reply.reasoning)) deltas.push({ [field]: piece });
  for (const piece of splitDeltas(message.content)) deltas.push({ content: piece });
  deltas[0] = { role: "assistant", ...deltas[0] };

  const events: unknown[] = deltas.map((delta) => chunk([{ index: 0, delta, finish_reason: null }]));
  events.push(chunk([{ index: 0, delta: {}, finish_reason: "stop" }]));
  if (request.stream_options?.include_usage) events.push(chunk([], { usage }));
  return { kind: "sse", events };
}
