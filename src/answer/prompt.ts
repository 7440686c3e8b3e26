/**
 * The grounded prompt: numbered sources, answer only from them, cite as [n], say so
 * when they do not hold the answer, answer in the question's language. Sources carry
 * their text only; titles, pages and paths go to the caller in the citations. Earlier
 * turns of a conversation go between the system prompt and the sourced question.
 */
import type { ChatMessage } from "../providers/chat.js";
import type { SearchHit } from "../store/vector-store.js";

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/gu;
const LATIN_WORD = /[A-Za-z]+/g;

/** Chinese when CJK characters outnumber Latin words: a Chinese question quoting an English term stays Chinese. */
export function isChineseText(text: string): boolean {
  const cjk = text.match(CJK)?.length ?? 0;
  const latin = text.match(LATIN_WORD)?.length ?? 0;
  return cjk > 0 && cjk >= latin;
}

const SYSTEM_EN = [
  "You answer questions using only the numbered sources in the user's message.",
  "Cite the sources you use with their numbers in square brackets, like [1] or [2][3], right after the statement they support.",
  "If the sources do not contain the answer, say plainly that they do not; never invent facts or citations.",
  "Answer in the language of the question.",
].join(" ");

const SYSTEM_ZH = `${SYSTEM_EN} 问题是中文的，请用中文回答，并用 [1] 这样的编号标注引用。`;

export function buildMessages(question: string, hits: SearchHit[], history: ChatMessage[] = []): ChatMessage[] {
  const sources = hits.map((hit, i) => `[${i + 1}] ${hit.text.replace(/\s*\n\s*/g, " ").trim()}`).join("\n\n");
  return [{ role: "system", content: isChineseText(question) ? SYSTEM_ZH : SYSTEM_EN }, ...history, { role: "user", content: `Sources:\n${sources}\n\nQuestion: ${question.trim()}` }];
}

/** Numbers the answer cites, within 1..count: `[2]`, `[1][3]`, `[1, 2]`, `【2】`. */
export function citedNumbers(answer: string, count: number): number[] {
  const cited = new Set<number>();
  for (const match of answer.matchAll(/[[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]/g)) {
    for (const n of match[1]!.split(/\s*[,，、]\s*/).map(Number)) if (n >= 1 && n <= count) cited.add(n);
  }
  return [...cited].sort((a, b) => a - b);
}
