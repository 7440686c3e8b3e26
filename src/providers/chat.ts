/** OpenAI-compatible chat completions (NIM, Qiniu, self-hosted), streamed or not. */
import { z } from "zod";
import { createThinkSplitter, splitThink } from "./reasoning.js";
import { readJsonEvents } from "./sse.js";
import type { Transport } from "./transport.js";

export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative().default(0),
  completion_tokens: z.number().int().nonnegative().default(0),
  total_tokens: z.number().int().nonnegative().default(0),
});
export type Usage = z.infer<typeof usageSchema>;

// Only the fields askdocs reads; the rest is passed over.
const text = z.string().nullish();
const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: text, reasoning_content: text, reasoning: text }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: text, reasoning_content: text, reasoning: text }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});

export interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  signal?: AbortSignal | undefined;
  /** See CallOptions.maxQueueWaitMs. */
  maxQueueWaitMs?: number | undefined;
  /** See CallOptions.followUp: the answer call a retrieval announced. */
  followUp?: boolean | undefined;
  /** See CallOptions.requestId. */
  requestId?: string | undefined;
}

export interface ChatResult {
  answer: string;
  reasoning: string;
  usage: Usage | null;
  finishReason: string | null;
}

export type ChatEvent = { type: "delta"; text: string } | { type: "reasoning"; text: string } | { type: "usage"; usage: Usage } | { type: "finish"; reason: string };

export interface ChatModel {
  /** `provider:model-id` as the user names it. */
  readonly id: string;
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatResult>;
  stream(request: ChatRequest): AsyncIterable<ChatEvent>;
}

/** Models known to sometimes send only a closing </think>: their content is held until it is clear. */
const MAY_OMIT_OPEN_THINK = /thinking|qwq|qwen3|kimi|reason|nemotron|r1\b|r1-/i;

export function createChatModel(options: { transport: Transport; id: string; model: string; streamIdleTimeoutMs?: number }): ChatModel {
  const { transport, model } = options;

  const body = (request: ChatRequest, stream: boolean) => ({
    model,
    messages: request.messages,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });

  return {
    id: options.id,
    model,
    async complete(request) {
      const result = await transport.postJson("/chat/completions", body(request, false), completionSchema, {
        signal: request.signal,
        maxQueueWaitMs: request.maxQueueWaitMs,
        requestId: request.requestId,
        followUp: request.followUp,
        model,
      });
      const choice = result.choices[0]!;
      const split = splitThink(choice.message.content ?? "");
      const fieldReasoning = choice.message.reasoning_content ?? choice.message.reasoning ?? "";
      return {
        answer: split.answer,
        reasoning: [fieldReasoning.trim(), split.reasoning].filter(Boolean).join("\n"),
        usage: result.usage ?? null,
        finishReason: choice.finish_reason ?? null,
      };
    },
    async *stream(request) {
      const response = await transport.postStream("/chat/completions", body(request, true), {
        signal: request.signal,
        maxQueueWaitMs: request.maxQueueWaitMs,
        requestId: request.requestId,
        followUp: request.followUp,
        model,
      });
      let sawReasoningField = false;
      let finished = false;
      const splitter = createThinkSplitter({ holdUntilClose: () => !sawReasoningField && MAY_OMIT_OPEN_THINK.test(model) });
      function* emit(part: { answer: string; reasoning: string }): Generator<ChatEvent> {
        if (part.reasoning) yield { type: "reasoning", text: part.reasoning };
        if (part.answer) yield { type: "delta", text: part.answer };
      }
      for await (const event of readJsonEvents(response, transport.provider, { idleTimeoutMs: options.streamIdleTimeoutMs, redact: transport.redact, completed: () => finished })) {
        const chunk = chunkSchema.safeParse(event);
        if (!chunk.success) continue; // a chunk we cannot read is skipped, not fatal
        for (const choice of chunk.data.choices ?? []) {
          const delta = choice.delta;
          const fieldReasoning = delta?.reasoning_content ?? delta?.reasoning;
          if (fieldReasoning) {
            sawReasoningField = true;
            yield { type: "reasoning", text: fieldReasoning };
          }
          if (delta?.content) yield* emit(splitter.push(delta.content));
          if (choice.finish_reason) {
            finished = true;
            yield { type: "finish", reason: choice.finish_reason };
          }
        }
        if (chunk.data.usage) yield { type: "usage", usage: chunk.data.usage };
      }
      yield* emit(splitter.flush());
    },
  };
}

const modelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/** `GET /v1/models` of any OpenAI-compatible provider. */
export async function listModels(transport: Transport, signal?: AbortSignal): Promise<string[]> {
  const list = await transport.getJson("/models", modelListSchema, { signal });
  return list.data.map((m) => m.id);
}
