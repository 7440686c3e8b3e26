/**
 * An extractive "model": it answers with the source sentence that shares most
 * words (or CJK characters) with the question, cited as `[n]`. Good enough for
 * end-to-end tests to check that retrieval put the right source in the prompt,
 * and fully deterministic.
 */
import { containsCjk, features, overlapScore } from "./lexical.js";
import type { ReasoningStyle } from "./models.js";

export interface ChatMessage {
  role: string;
  text: string;
}

export interface Source {
  n: number;
  text: string;
}

export interface Answer {
  answer: string;
  reasoning: string;
}

const SOURCE_LINE = /^\s*\[(\d+)\]\s?(.*)$/;
const QUESTION_LINE = /^\s*(?:Question|问题)\s*[:：]\s?(.*)$/i;
// Latin terminators need following space ("v1.5" is not a sentence end); CJK ones do not.
const SENTENCE_BREAK = /(?<=[.!?])\s+|(?<=[。！？；])|\n+/u;

export const NO_ANSWER = "The sources do not contain the answer.";
export const NO_ANSWER_ZH = "资料中没有找到答案。";

/** Sources start on a `[n] ...` line and run until the next `[n]` line or the `Question:` line. */
export function parseSources(prompt: string): Source[] {
  const sources: Source[] = [];
  let current: { n: number; lines: string[] } | undefined;
  const flush = () => {
    if (current) sources.push({ n: current.n, text: current.lines.join("\n").trim() });
    current = undefined;
  };
  for (const line of prompt.split(/\r?\n/)) {
    const start = SOURCE_LINE.exec(line);
    if (start) {
      flush();
      current = { n: Number(start[1]), lines: [start[2] ?? ""] };
    } else if (QUESTION_LINE.test(line)) flush();
    else current?.lines.push(line);
  }
  flush();
  return sources;
}

/** The last user message after its `Question:` line, or the whole message. */
export function questionOf(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === "user")?.text ?? "";
  const lines = last.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = QUESTION_LINE.exec(lines[i]!);
    if (m) return [m[1] ?? "", ...lines.slice(i + 1)].join("\n").trim();
  }
  return last.trim();
}

export function respond(messages: ChatMessage[]): Answer {
  const prompt = messages
    .filter((m) => m.role === "system" || m.role === "user")
    .map((m) => m.text)
    .join("\n");
  const question = questionOf(messages);
  const wanted = features(question);
  let best: { score: number; sentence: string; n: number } | undefined;
  for (const source of parseSources(prompt)) {
    for (const raw of source.text.split(SENTENCE_BREAK)) {
      const sentence = raw.trim();
      if (!sentence) continue;
      const score = overlapScore(wanted, features(sentence));
      // Strictly greater: on a tie the earlier source wins, like a model reading top-down.
      if (score > 0 && (!best || score > best.score)) best = { score, sentence, n: source.n };
    }
  }
  const shortQuestion = question.length > 80 ? `${question.slice(0, 80)}…` : question;
  if (!best) {
    return {
      answer: containsCjk(question) ? NO_ANSWER_ZH : NO_ANSWER,
      reasoning: `Looking for the sentence that answers "${shortQuestion}"; no source mentions it.`,
    };
  }
  return {
    answer: `${best.sentence} [${best.n}]`,
    reasoning: `Looking for the sentence that answers "${shortQuestion}"; source [${best.n}] matches best.`,
  };
}

/** The assistant message fields for a reasoning style. */
export function renderMessage(reply: Answer, style: ReasoningStyle): { content: string; reasoning_content?: string; reasoning?: string } {
  switch (style) {
    case "reasoning_content":
      return { content: reply.answer, reasoning_content: reply.reasoning };
    case "reasoning":
      return { content: reply.answer, reasoning: reply.reasoning };
    case "think":
      return { content: `<think>\n${reply.reasoning}\n</think>\n\n${reply.answer}` };
    case "closing-think":
      return { content: `${reply.reasoning}\n</think>\n\n${reply.answer}` };
    case "plain":
      return { content: reply.answer };
  }
}

/**
 * Split text into small deltas as a tokenizer would: a word with its leading
 * space, or up to three CJK characters. Every think tag is cut in two
 * (`<th` + `ink>`) so clients must parse tags across chunk boundaries.
 * Joining the pieces gives the text back exactly.
 */
export function splitDeltas(text: string): string[] {
  const pieces: string[] = [];
  for (const word of text.match(/\s*\S+|\s+$/g) ?? []) {
    const tag = /<\/?think>/.exec(word);
    if (tag) {
      const cut = tag.index + (tag[0].startsWith("</") ? 4 : 3);
      pieces.push(word.slice(0, cut), word.slice(cut));
      continue;
    }
    if (!containsCjk(word)) {
      pieces.push(word);
      continue;
    }
    const chars = Array.from(word);
    for (let i = 0; i < chars.length; i += 3) pieces.push(chars.slice(i, i + 3).join(""));
  }
  return pieces.filter((p) => p !== "");
}
