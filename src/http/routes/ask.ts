import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { AppError, NotConfiguredError } from "../../errors.js";
import type { ChatModel, Usage } from "../../providers/chat.js";
import { type Passage, buildContext } from "../../rag/context.js";
import { extractiveAnswer } from "../../rag/extractive.js";
import { buildMessages, citedNumbers, isChineseText } from "../../rag/prompt.js";
import type { AppDeps } from "../app.js";
import { presentHit } from "../present.js";
import { retrieveFor } from "../retrieval.js";
import { askBody } from "../schemas.js";
import { jsonBody } from "../validate.js";

/**
 * `POST /v1/ask`: retrieve, build the context and the grounded prompt, answer with
 * citations; streamed as SSE (`citations`, `reasoning`, `delta`, then `done` or `error`)
 * or as one JSON body. Everything that can fail before the answer starts (bad model,
 * missing collection, retrieval) is a plain JSON error; only the answer itself streams
 * errors. With no chat provider configured (and none asked for), the answer is
 * extractive: the passages' best-matching sentences, cited, marked as such.
 */
function citations(passages: Passage[], cited: number[]) {
  return passages.map((p, i) => ({ n: i + 1, cited: cited.includes(i + 1), ...presentHit(p), chunk_ids: p.chunkIds }));
}

function noSources(question: string): string {
  return isChineseText(question) ? "知识库中没有找到与这个问题相关的资料。" : "No passages in this collection relate to the question, so it cannot be answered from the documents.";
}

/** The requested chat model; undefined (extractive answers) only when none is configured and none was asked for. */
function chooseChat(deps: AppDeps, model: string | undefined): ChatModel | undefined {
  try {
    return deps.providers.chat(model);
  } catch (error) {
    if (error instanceof NotConfiguredError && model === undefined) return undefined;
    throw error;
  }
}

export function askRoutes(deps: AppDeps) {
  return new Hono().post("/v1/ask", async (c) => {
    const body = await jsonBody(c, askBody);
    // Resolve the model first: a bad choice is a 400 before any work is done.
    const chat = chooseChat(deps, body.model);
    const signal = c.req.raw.signal;
    const maxQueueWaitMs = deps.config.REQUEST_QUEUE_WAIT_MS;
    const retrieval = await retrieveFor(deps, c, { ...body, query: body.question, followUps: chat ? 1 : 0 });
    // The chat call was announced by retrieval's first provider call, when it made one.
    const followUp = retrieval.mode !== "keyword" || retrieval.rerank !== undefined;
    const passages = buildContext(retrieval.hits, { maxTokens: deps.config.CONTEXT_TOKENS });
    const meta = {
      model: chat?.id ?? null,
      answer_mode: chat ? ("generative" as const) : ("extractive" as const),
      mode: retrieval.mode,
      ...(retrieval.rerank ? { rerank: retrieval.rerank } : {}),
    };

    // No model call: nothing retrieved, or no chat provider.
    if (passages.length === 0 || !chat) {
      const answer = passages.length === 0 ? noSources(body.question) : extractiveAnswer(body.question, passages);
      const cited = citedNumbers(answer, passages.length);
      if (!body.stream) return c.json({ answer, citations: citations(passages, cited), usage: null, ...meta });
      return streamSSE(c, async (stream) => {
        await stream.writeSSE({ event: "citations", data: JSON.stringify({ citations: citations(passages, []), ...meta }) });
        await stream.writeSSE({ event: "delta", data: JSON.stringify({ text: answer }) });
        await stream.writeSSE({ event: "done", data: JSON.stringify({ cited, usage: null, ...meta }) });
      });
    }

    const messages = buildMessages(body.question, passages);
    if (!body.stream) {
      const result = await chat.complete({ messages, signal, maxQueueWaitMs, followUp });
      return c.json({
        answer: result.answer,
        citations: citations(passages, citedNumbers(result.answer, passages.length)),
        usage: result.usage,
        ...meta,
        ...(result.reasoning ? { reasoning: result.reasoning } : {}),
      });
    }

    return streamSSE(c, async (stream) => {
      // A client that goes away cancels the upstream call.
      const upstream = new AbortController();
      stream.onAbort(() => upstream.abort(new Error("client disconnected")));
      signal.addEventListener("abort", () => upstream.abort(new Error("client disconnected")), { once: true });
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });

      await send("citations", { citations: citations(passages, []), ...meta });
      let answer = "";
      let usage: Usage | null = null;
      try {
        for await (const event of chat.stream({ messages, signal: upstream.signal, maxQueueWaitMs, followUp })) {
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
        if (!stream.aborted) await send("done", { cited: citedNumbers(answer, passages.length), usage, ...meta });
      } catch (error) {
        if (stream.aborted || upstream.signal.aborted) return;
        const e = error instanceof AppError ? error : undefined;
        deps.logger.warn("answer stream failed", { code: e?.code ?? "internal_error" });
        await send("error", { code: e?.code ?? "internal_error", message: e?.message ?? "The answer failed." });
      }
    });
  });
}
