/**
 * `POST /v1/ask`: askdocs's own door to the answer service (src/answer/answer.ts),
 * streamed as SSE (`citations`, `reasoning`, `delta`, then `done` or `error`) or as one
 * JSON body. Everything that can fail before the answer starts (bad model, missing
 * collection, retrieval) is a plain JSON error; only the answer itself streams errors.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { AppError } from "../../errors.js";
import type { Runtime } from "../../runtime/runtime.js";
import { requestSignal, retrievalOf } from "../chat-door.js";
import { presentCitations as citations } from "../present.js";
import { requestIdOf } from "../request-log.js";
import { askBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

export function askRoutes(rt: Runtime) {
  return new Hono().post("/v1/ask", async (c) => {
    const body = await jsonBody(c, askBody);
    // A client that goes away cancels retrieval and the upstream call.
    const upstream = requestSignal(c.req.raw);
    const events = rt.answer({
      question: body.question,
      collection: body.collection,
      topK: body.top_k,
      model: body.model,
      mode: body.mode,
      rerank: body.rerank,
      stream: body.stream,
      signal: upstream.signal,
      requestId: requestIdOf(c),
    });
    // The first event is the retrieval: errors before it are plain JSON errors.
    const first = await retrievalOf(events);
    const { passages } = first;
    const meta = { model: first.model, answer_mode: first.answerMode, mode: first.mode, ...(first.rerank ? { rerank: first.rerank } : {}) };

    if (!body.stream) {
      for await (const event of events) {
        if (event.type === "error") throw event.error;
        if (event.type === "done") {
          return c.json({ answer: event.answer, citations: citations(passages, event.cited), usage: event.usage, ...meta, ...(event.reasoning ? { reasoning: event.reasoning } : {}) });
        }
      }
      // The generator ends without `done` only when the client went away.
      throw upstream.signal.reason;
    }

    return streamSSE(c, async (stream) => {
      stream.onAbort(upstream.abort);
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
      await send("citations", { citations: citations(passages, []), ...meta });
      for await (const event of events) {
        if (stream.aborted) break;
        if (event.type === "delta" || event.type === "reasoning") await send(event.type, { text: event.text });
        else if (event.type === "done") await send("done", { cited: event.cited, usage: event.usage, ...meta });
        else if (event.type === "error") {
          const known = event.error instanceof AppError ? event.error : undefined;
          rt.logger.warn("answer stream failed", { code: known?.code ?? "internal_error" });
          await send("error", { code: known?.code ?? "internal_error", message: known?.message ?? "The answer failed." });
        }
      }
    });
  });
}
