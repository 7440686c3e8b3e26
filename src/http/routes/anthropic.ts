/**
 * The Anthropic-compatible door: `POST /anthropic/v1/messages` (the Anthropic SDK's base
 * URL is `/anthropic`). `model` names the collection as on the OpenAI door; the answer is
 * one `message` or the Messages stream (`message_start`, a `thinking` block when the model
 * reasons, a `text` block, `message_delta` with `stop_reason` and usage, `message_stop`;
 * `error` when the model fails midway). Citations as on the OpenAI door: `[n]` and a sources
 * list in the text, `references` on the message (on `message_delta` when streamed).
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Usage } from "../../providers/chat.js";
import type { Runtime } from "../../runtime/runtime.js";
import { chatModelName, openAnswer, requestSignal, type Turn } from "../chat-door.js";
import { anthropicError, errorFacts } from "../error-shapes.js";
import { presentCitations, sourcesList } from "../present.js";
import { requestIdOf } from "../request-log.js";
import { jsonBody } from "../validate.js";

/** Content blocks other than text (images, documents, tool results) are not read. */
const block = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(block)]);

/** The request fields askdocs reads; `metadata`, `stop_sequences`, tools and unknown fields are accepted and ignored. */
export const messagesBody = z.looseObject({
  model: chatModelName,
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.enum(["user", "assistant"]), content })).min(1, "must hold at least one message"),
  system: content.optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
});

const textOf = (value: z.output<typeof content>) => (typeof value === "string" ? value : value.flatMap((b) => (b.type === "text" && b.text ? [b.text] : [])).join("\n"));

const stopReason = (reason: string | null) => (reason === "length" ? "max_tokens" : "end_turn");
const tokens = (usage: Usage | null) => ({ input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 });

export function anthropicRoutes(rt: Runtime) {
  return new Hono().post("/anthropic/v1/messages", async (c) => {
    const body = await jsonBody(c, messagesBody);
    const stream = body.stream === true;
    const { signal, abort } = requestSignal(c.req.raw);
    const turns: Turn[] = body.messages.map((m) => ({ role: m.role, text: textOf(m.content) }));
    const { passages, events } = await openAnswer(rt, {
      model: body.model,
      turns,
      generation: { temperature: body.temperature, topP: body.top_p, maxTokens: body.max_tokens },
      stream,
      signal,
      field: "messages",
      requestId: requestIdOf(c),
    });
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const message = { id, type: "message", role: "assistant", model: body.model };

    if (!stream) {
      for await (const event of events) {
        if (event.type === "error") throw event.error;
        if (event.type !== "done") continue;
        const references = presentCitations(passages, event.cited);
        const blocks = [...(event.reasoning ? [{ type: "thinking", thinking: event.reasoning, signature: "" }] : []), { type: "text", text: event.answer + sourcesList(references) }];
        return c.json({ ...message, content: blocks, stop_reason: stopReason(event.finishReason), stop_sequence: null, usage: tokens(event.usage), references });
      }
      // The generator ends without `done` only when the client went away.
      throw signal.reason;
    }

    return streamSSE(c, async (sse) => {
      sse.onAbort(abort);
      const send = (event: string, data: object) => sse.writeSSE({ event, data: JSON.stringify({ type: event, ...data }) });
      // One block open at a time: the reasoning (`thinking`) first, then the answer (`text`).
      let open: { index: number; kind: "thinking" | "text" } | undefined;
      const into = async (kind: "thinking" | "text") => {
        if (open?.kind === kind) return open.index;
        const index = open ? open.index + 1 : 0;
        if (open) await send("content_block_stop", { index: open.index });
        await send("content_block_start", { index, content_block: kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" } });
        open = { index, kind };
        return index;
      };
      await send("message_start", { message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: tokens(null) } });
      await send("ping", {});
      for await (const event of events) {
        if (sse.aborted) return;
        if (event.type === "reasoning") await send("content_block_delta", { index: await into("thinking"), delta: { type: "thinking_delta", thinking: event.text } });
        else if (event.type === "delta") await send("content_block_delta", { index: await into("text"), delta: { type: "text_delta", text: event.text } });
        else if (event.type === "error") {
          const facts = errorFacts(event.error);
          rt.logger.warn("anthropic stream failed", { code: facts.code });
          await send("error", { error: (anthropicError(facts) as { error: object }).error });
          return;
        } else if (event.type === "done") {
          const references = presentCitations(passages, event.cited);
          const sources = sourcesList(references);
          if (sources || !open || open.kind !== "text") await send("content_block_delta", { index: await into("text"), delta: { type: "text_delta", text: sources } });
          await send("content_block_stop", { index: open!.index });
          await send("message_delta", { delta: { stop_reason: stopReason(event.finishReason), stop_sequence: null }, usage: { output_tokens: event.usage?.completion_tokens ?? 0 }, references });
          await send("message_stop", {});
        }
      }
    });
  });
}
