/**
 * What to search for in a conversation (the OpenAI- and Anthropic-compatible doors): the
 * last user turn, and when it refers back ("and in 2023?", "what about its heading?",
 * "那它呢？") the previous user turn before it, so the retrieval sees the subject the
 * follow-up leaves out. A heuristic, not a model call: it costs nothing, never fails, and a
 * follow-up that does not need the earlier turn only gains a few extra query words.
 */
import type { ChatMessage } from "../providers/chat.js";

/** A retrieval query longer than a question is pasted text (a client's title or tag prompt): its head is enough. */
export const MAX_QUERY_CHARS = 4000;

const SHORT_WORDS = 4;
const SHORT_CJK = 8;
/** Openings and pronouns that lean on an earlier turn, in English and Chinese. */
const REFERS_BACK =
  /^\s*(?:and|but|also|so|or|what about|how about|why|how come|then)\b|\b(?:it|its|they|them|their|this|that|these|those|he|she|his|her|there|the same|former|latter|above|previous)\b|^\s*(?:那|还有|而|另外|那么)|[它他她其该此这那]/iu;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/gu;

function isFollowUp(question: string): boolean {
  const cjk = question.match(CJK)?.length ?? 0;
  const words = question.split(/\s+/).filter(Boolean).length;
  const short = cjk > 0 ? cjk <= SHORT_CJK : words <= SHORT_WORDS;
  return short || REFERS_BACK.test(question);
}

/** The query for `question`, given the earlier turns (oldest first). */
export function retrievalQuery(question: string, history: readonly ChatMessage[]): string {
  const previous = history.findLast((m) => m.role === "user")?.content.trim();
  const query = previous && isFollowUp(question) ? `${previous}\n${question}` : question;
  return query.slice(0, MAX_QUERY_CHARS);
}
