/**
 * The answer service: one function behind every door (askdocs's own `/v1/ask`, the
 * OpenAI- and Anthropic-compatible endpoints, MCP). It resolves the chat model,
 * retrieves, builds the context and the grounded prompt, and yields typed events:
 * `retrieval` (metadata and the passages to cite) first, then `reasoning` / `delta` /
 * `usage`, then `done` or `error`. Anything that fails before the first event (a bad
 * model choice, a missing collection, retrieval) is thrown, so a door can still answer
 * with a plain error; once events flow, failures arrive as an `error` event. With no chat
 * provider configured (and none asked for) the answer is extractive. No HTTP types here.
 */
import { NotConfiguredError } from "../errors.js";
import type { ChatMessage, ChatModel, Usage } from "../providers/chat.js";
import type { Providers } from "../providers/registry.js";
import { type RerankReport, type RetrieveOptions, retrieve } from "../retrieval/retrieve.js";
import type { SearchMode } from "../store/vector-store.js";
import { type Passage, buildContext } from "./context.js";
import { extractiveAnswer } from "./extractive.js";
import { buildMessages, citedNumbers, isChineseText } from "./prompt.js";

/** Sampling settings passed through to the chat model; unset ones are left to the provider. */
export interface GenerationOptions {
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
}

export interface AnswerRequest {
  question: string;
  collection: string;
  topK: number;
  /** What to search for (default: the question). Chat doors rewrite follow-ups with the history. */
  query?: string | undefined;
  /** Earlier turns of a conversation, oldest first; the sources go with the last question only. */
  history?: ChatMessage[] | undefined;
  /** `provider:model`; default CHAT_MODEL, or an extractive answer when none is configured. */
  model?: string | undefined;
  mode?: SearchMode | undefined;
  rerank?: boolean | undefined;
  generation?: GenerationOptions | undefined;
  /** Ask the chat model for a stream (deltas as they come) or one completion. */
  stream: boolean;
  /** A client that goes away aborts everything, the model call included. */
  signal?: AbortSignal | undefined;
  /** Carried into provider calls (X-Request-Id). */
  requestId?: string | undefined;
}

export interface AnswerMeta {
  /** `provider:model`, null for extractive answers. */
  model: string | null;
  answerMode: "generative" | "extractive";
  mode: SearchMode;
  rerank?: RerankReport;
}

export type AnswerEvent =
  | ({ type: "retrieval"; passages: Passage[] } & AnswerMeta)
  | { type: "reasoning"; text: string }
  | { type: "delta"; text: string }
  | { type: "usage"; usage: Usage }
  | { type: "done"; answer: string; reasoning: string; cited: number[]; usage: Usage | null; finishReason: string | null }
  /** An AppError to report as it is; any other error is a fault of askdocs. */
  | { type: "error"; error: Error };

/** The parts an answer is made from: the runtime provides them. */
export interface AnswerParts extends Pick<RetrieveOptions, "store" | "embedder" | "embedderMissing" | "reranker" | "fusion" | "maxQueueWaitMs"> {
  providers: Pick<Providers, "chat">;
  /** Tokens the sources may take in the prompt. */
  contextTokens: number;
}

export async function* answer(parts: AnswerParts, request: AnswerRequest): AsyncGenerator<AnswerEvent, void, undefined> {
  // Resolve the model first: a bad choice is refused before any work is done.
  const chat = chooseChat(parts.providers, request.model);
  const { signal } = request;
  const retrieval = await retrieve({
    ...parts,
    collection: request.collection,
    query: request.query ?? request.question,
    topK: request.topK,
    mode: request.mode,
    rerank: request.rerank,
    signal,
    requestId: request.requestId,
    followUps: chat ? 1 : 0,
  });
  const passages = buildContext(retrieval.hits, { maxTokens: parts.contextTokens });
  yield {
    type: "retrieval",
    passages,
    model: chat?.id ?? null,
    answerMode: chat ? "generative" : "extractive",
    mode: retrieval.mode,
    ...(retrieval.rerank ? { rerank: retrieval.rerank } : {}),
  };

  // No model call: nothing retrieved, or no chat provider.
  if (passages.length === 0 || !chat) {
    const text = passages.length === 0 ? noSources(request.question) : extractiveAnswer(request.question, passages);
    yield { type: "delta", text };
    yield { type: "done", answer: text, reasoning: "", cited: citedNumbers(text, passages.length), usage: null, finishReason: null };
    return;
  }

  const call = {
    messages: buildMessages(request.question, passages, request.history),
    ...generation(request.generation),
    signal,
    maxQueueWaitMs: parts.maxQueueWaitMs,
    requestId: request.requestId,
    // Retrieval's first provider call, when it made one, announced this call and holds its slot.
    followUp: retrieval.mode !== "keyword" || retrieval.rerank !== undefined,
  };
  let text = "";
  let reasoning = "";
  let usage: Usage | null = null;
  let finishReason: string | null = null;
  try {
    if (!request.stream) {
      const result = await chat.complete(call);
      ({ answer: text, reasoning, usage, finishReason } = result);
      if (reasoning) yield { type: "reasoning", text: reasoning };
      if (text) yield { type: "delta", text };
      if (usage) yield { type: "usage", usage };
    } else {
      for await (const event of chat.stream(call)) {
        if (signal?.aborted) return;
        if (event.type === "delta") text += event.text;
        else if (event.type === "reasoning") reasoning += event.text;
        else if (event.type === "usage") usage = event.usage;
        if (event.type === "finish") finishReason = event.reason;
        else yield event;
      }
    }
  } catch (error) {
    if (signal?.aborted) return;
    yield { type: "error", error: error instanceof Error ? error : new Error(String(error)) };
    return;
  }
  if (signal?.aborted) return;
  yield { type: "done", answer: text, reasoning, cited: citedNumbers(text, passages.length), usage, finishReason };
}

function generation(options: GenerationOptions | undefined) {
  return {
    ...(options?.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options?.topP === undefined ? {} : { topP: options.topP }),
    ...(options?.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
  };
}

function noSources(question: string): string {
  return isChineseText(question) ? "知识库中没有找到与这个问题相关的资料。" : "No passages in this collection relate to the question, so it cannot be answered from the documents.";
}

/** The requested chat model; undefined (extractive answers) only when none is configured and none was asked for. */
function chooseChat(providers: Pick<Providers, "chat">, model: string | undefined): ChatModel | undefined {
  try {
    return providers.chat(model);
  } catch (error) {
    if (error instanceof NotConfiguredError && model === undefined) return undefined;
    throw error;
  }
}
