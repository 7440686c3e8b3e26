/**
 * The OpenAI-compatible door at `/openai/v1` (a client's base URL): `GET /models` lists the
 * collections, `POST /chat/completions` answers the conversation's last user turn from the
 * collection named by `model`, as one `chat.completion` or streamed `chat.completion.chunk`s
 * ending `data: [DONE]`. The answer text carries `[n]` citations and a short sources list;
 * `references` (on the message, or on the chunk with `finish_reason`) has them as data, the
 * same as `/v1/ask`'s citations. Errors are OpenAI-shaped (error-shapes.ts).
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Usage } from "../../providers/chat.js";
import type { Runtime } from "../../runtime/runtime.js";
import { chatModelName, openAnswer, requestSignal, type Turn } from "../chat-door.js";
import { errorFacts, openaiError } from "../error-shapes.js";
import { presentCitations, sourcesList } from "../present.js";
import { requestIdOf } from "../request-log.js";
import { jsonBody } from "../validate.js";

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const chatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  // Parts other than text (images, audio) are not read; assistant turns with tool calls may carry null.
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
});

/** The request fields askdocs reads; penalties, `user`, `n`, tools and unknown fields are accepted and ignored. */
export const chatCompletionBody = z.looseObject({
  model: chatModelName,
  messages: z.array(chatMessage).min(1, "must hold at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
});

function turns(messages: z.output<typeof chatMessage>[]): Turn[] {
  return messages.flatMap((m): Turn[] => {
    const text = typeof m.content === "string" ? m.content : (m.content ?? []).flatMap((p) => (p.type === "text" && p.text ? [p.text] : [])).join("\n");
    if (m.role === "tool") return [];
    return [{ role: m.role === "developer" ? "system" : m.role, text }];
  });
}

const NO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
/** OpenAI's finish reasons; a provider's other values (or none, for extractive answers) are a plain stop. */
const finishReason = (reason: string | null) => (reason === "length" || reason === "content_filter" ? reason : "stop");

export function openaiRoutes(rt: Runtime) {
  const app = new Hono();

  app.get("/openai/v1/models", async (c) => {
    const collections = await rt.store.listCollections();
    return c.json({ object: "list", data: collections.map((col) => ({ id: col.name, object: "model", created: 0, owned_by: "askdocs" })) });
  });

  app.post("/openai/v1/chat/completions", async (c) => {
    const body = await jsonBody(c, chatCompletionBody);
    const stream = body.stream === true;
    const { signal, abort } = requestSignal(c.req.raw);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    const { passages, events } = await openAnswer(rt, {
      model: body.model,
      turns: turns(body.messages),
      generation: { temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined, maxTokens },
      stream,
      signal,
      field: "messages",
      requestId: requestIdOf(c),
    });
    const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
    const created = Math.floor(Date.now() / 1000);
    const { model } = body;

    if (!stream) {
      for await (const event of events) {
        if (event.type === "error") throw event.error;
        if (event.type !== "done") continue;
        const references = presentCitations(passages, event.cited);
        const message = { role: "assistant", content: event.answer + sourcesList(references), ...(event.reasoning ? { reasoning_content: event.reasoning } : {}), references };
        return c.json({ id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finishReason(event.finishReason), logprobs: null }], usage: event.usage ?? NO_USAGE });
      }
      // The generator ends without `done` only when the client went away.
      throw signal.reason;
    }

    return streamSSE(c, async (sse) => {
      sse.onAbort(abort);
      const send = (choices: unknown[], extra: object = {}) => sse.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra }) });
      const delta = (fields: object, finish: string | null = null) => send([{ index: 0, delta: fields, finish_reason: finish, logprobs: null }]);
      await delta({ role: "assistant", content: "" });
      for await (const event of events) {
        if (sse.aborted) return;
        if (event.type === "reasoning") await delta({ reasoning_content: event.text });
        else if (event.type === "delta") await delta({ content: event.text });
        else if (event.type === "error") {
          rt.logger.warn("openai stream failed", { code: errorFacts(event.error).code });
          // The openai client raises on an `error` member of a streamed event.
          await sse.writeSSE({ data: JSON.stringify(openaiError(errorFacts(event.error))) });
        } else if (event.type === "done") {
          const references = presentCitations(passages, event.cited);
          const sources = sourcesList(references);
          if (sources) await delta({ content: sources });
          await delta({ references }, finishReason(event.finishReason));
          if (body.stream_options?.include_usage) await send([], { usage: event.usage ?? NO_USAGE });
        }
      }
      await sse.writeSSE({ data: "[DONE]" });
    });
  });

  return app;
}
