/**
 * What the OpenAI- and Anthropic-compatible doors share: the `model` naming
 * (`collection` or `collection@provider:model`), a conversation turned into one answer
 * request (the last user turn is the question, earlier turns the history, the retrieval
 * query rewritten for follow-ups by src/answer/retrieval-query.ts), and the wait for the
 * retrieval so that anything failing before the answer starts is a plain error response.
 */
import { z } from "zod";
import type { AnswerEvent, GenerationOptions } from "../answer/answer.js";
import type { Passage } from "../answer/context.js";
import { retrievalQuery } from "../answer/retrieval-query.js";
import { InvalidRequestError } from "../errors.js";
import type { ChatMessage } from "../providers/chat.js";
import type { Runtime } from "../runtime/runtime.js";
import { COLLECTION_NAME } from "../store/vector-store.js";
import { withoutSourcesList } from "./present.js";
import { DEFAULT_TOP_K } from "./schemas.js";

/** `default` or `research@qiniu:deepseek-v3` split into the collection and the chat model (undefined: the default). */
function splitModelName(value: string): { collection: string; model: string | undefined } {
  const at = value.indexOf("@");
  return at === -1 ? { collection: value, model: undefined } : { collection: value.slice(0, at), model: value.slice(at + 1).trim() };
}

/** The `model` field of both chat doors: the collection to ask, then optionally the chat model after `@`. */
export const chatModelName = z
  .string()
  .trim()
  .min(1, "must name a collection")
  .max(270)
  .superRefine((value, ctx) => {
    const { collection, model } = splitModelName(value);
    if (!COLLECTION_NAME.test(collection)) {
      ctx.addIssue({ code: "custom", message: `"${collection.slice(0, 80)}" is not a collection name: use \`collection\` or \`collection@provider:model\`` });
    } else if (model === "") {
      ctx.addIssue({ code: "custom", message: "nothing after `@`: name a chat model (`collection@provider:model`) or leave out the `@`" });
    }
  })
  .describe("A collection (`default`), optionally with the chat model after `@` (`research@qiniu:deepseek-v3`); without one, the default chat model answers.");

/** One turn of a client's conversation, its content flattened to text. */
export interface Turn {
  role: "system" | "user" | "assistant";
  text: string;
}

export interface Conversation {
  /** A valid `chatModelName`. */
  model: string;
  turns: Turn[];
  generation: GenerationOptions;
  stream: boolean;
  signal: AbortSignal;
  /** How the door names its messages field in errors (`messages`). */
  field: string;
  /** The request's id, for the answer service's log lines. */
  requestId: string | undefined;
}

export interface OpenedAnswer {
  passages: Passage[];
  /** The events after `retrieval`: `reasoning` / `delta` / `usage`, then `done` or `error`. */
  events: AsyncGenerator<AnswerEvent, void, undefined>;
}

/**
 * Starts the answer to the conversation's last user turn and waits for its retrieval.
 * Client system prompts are not sent: askdocs's grounding prompt is the system prompt.
 * Earlier answers go back to the model without the sources list the door appended.
 */
export async function openAnswer(rt: Runtime, conversation: Conversation): Promise<OpenedAnswer> {
  const turns = conversation.turns.filter((t) => t.role !== "system");
  const last = turns.at(-1);
  if (last?.role !== "user" || last.text.trim() === "") {
    throw new InvalidRequestError(`Invalid body: ${conversation.field}: the last message must be a user message with text (the question)`, [
      { path: conversation.field, message: "the last message must be a user message with text" },
    ]);
  }
  const history: ChatMessage[] = turns.slice(0, -1).map((t) => ({ role: t.role, content: t.role === "assistant" ? withoutSourcesList(t.text) : t.text }));
  const question = last.text.trim();
  const events = rt.answer({
    question,
    query: retrievalQuery(question, history),
    history,
    ...splitModelName(conversation.model),
    topK: DEFAULT_TOP_K,
    generation: conversation.generation,
    stream: conversation.stream,
    signal: conversation.signal,
    requestId: conversation.requestId,
  });
  return { passages: (await retrievalOf(events)).passages, events };
}

/** The answer's first event, its retrieval; anything that failed before it is thrown here, for the door to answer as a plain error. */
export async function retrievalOf(events: AsyncGenerator<AnswerEvent, void, undefined>): Promise<Extract<AnswerEvent, { type: "retrieval" }>> {
  const { value: first } = await events.next();
  if (first?.type !== "retrieval") throw new Error("the answer service did not start with its retrieval");
  return first;
}

/**
 * An abort signal for one request: the client going away (the request's own signal, or the
 * stream closing, which a door reports through `abort`) cancels retrieval and the model call.
 */
export function requestSignal(request: Request): { signal: AbortSignal; abort: () => void } {
  const upstream = new AbortController();
  const abort = () => upstream.abort(new Error("client disconnected"));
  request.signal.addEventListener("abort", abort, { once: true });
  return { signal: upstream.signal, abort };
}
