import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { AppError } from "../../errors.js";
import type { Usage } from "../../providers/chat.js";
import { buildMessages, citedNumbers, isChineseText } from "../../rag/prompt.js";
import { retrieve } from "../../rag/retrieve.js";
import type { SearchHit } from "../../store/vector-store.js";
import type { AppDeps } from "../app.js";
import { presentHit } from "../present.js";
import { askBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

/**
 * `POST /v1/ask`: retrieve, build the grounded prompt, answer with citations; streamed
 * as SSE (`citations`, `reasoning`, `delta`, then `done` or `error`) or as one JSON body.
 * Everything that can fail before the answer starts (bad model, no provider, missing
 * collection, retrieval) is a plain JSON error; only the answer itself streams errors.
 */
function citations(hits: SearchHit[], cited: number[]) {
  return hits.map((hit, i) => ({ n: i + 1, cited: cited.includes(i + 1), ...presentHit(hit) }));
}

function noSources(question: string): string {
  return isChineseText(question) ? "知识库中没有找到与这个问题相关的资料。" : "No passages in this collection relate to the question, so it cannot be answered from the documents.";
}

export function askRoutes(deps: AppDeps) {
  return new Hono().post("/v1/ask", async (c) => {
    const body = await jsonBody(c, askBody);
    // Resolve the model first: a bad choice is a 400 before any work is done.
    const chat = deps.providers.chat(body.model);
    const signal = c.req.raw.signal;
    const maxQueueWaitMs = deps.config.REQUEST_QUEUE_WAIT_MS;
    const hits = await retrieve({
      store: deps.store,
      embedder: deps.providers.embedder,
      embedderMissing: deps.providers.embedderMissing,
      collection: body.collection,
      query: body.question,
      topK: body.top_k,
      signal,
      maxQueueWaitMs,
    });
    const messages = buildMessages(body.question, hits);

    if (!body.stream) {
      if (hits.length === 0) return c.json({ answer: noSources(body.question), citations: [], model: chat.id, usage: null });
      const result = await chat.complete({ messages, signal, maxQueueWaitMs });
      return c.json({
        answer: result.answer,
        citations: citations(hits, citedNumbers(result.answer, hits.length)),
        model: chat.id,
        usage: result.usage,
        ...(result.reasoning ? { reasoning: result.reasoning } : {}),
      });
    }

    return streamSSE(c, async (stream) => {
      // A client that goes away cancels the upstream call.
      const upstream = new AbortController();
      stream.onAbort(() => upstream.abort(new Error("client disconnected")));
      signal.addEventListener("abort", () => upstream.abort(new Error("client disconnected")), { once: true });
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });

      await send("citations", { citations: citations(hits, []), model: chat.id });
      if (hits.length === 0) {
        await send("delta", { text: noSources(body.question) });
        await send("done", { cited: [], usage: null, model: chat.id });
        return;
      }
      let answer = "";
      let usage: Usage | null = null;
      try {
        for await (const event of chat.stream({ messages, signal: upstream.signal, maxQueueWaitMs })) {
          if (stream.aborted) break;
          if (event.type === "delta") {
            answer += event.text;
            await send("delta", { text: event.text });
          } else if (event.type === "reasoning") {
            await send("reasoning", { text: event.text });
          } else if (event.type === "usage") {
            usage = event.usage;
          }
        }
        if (!stream.aborted) await send("done", { cited: citedNumbers(answer, hits.length), usage, model: chat.id });
      } catch (error) {
        if (stream.aborted || upstream.signal.aborted) return;
        const e = error instanceof AppError ? error : undefined;
        deps.logger.warn("answer stream failed", { code: e?.code ?? "internal_error" });
        await send("error", { code: e?.code ?? "internal_error", message: e?.message ?? "The answer failed." });
      }
    });
  });
}
