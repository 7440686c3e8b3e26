import type { Passage } from "./context.js";
import { isChineseText } from "./prompt.js";

/**
 * The answer askdocs gives with no chat model configured: the sentences of the top
 * passages that share most terms with the question, in passage order, each cited [n].
 * Honest about what it is (the response says `answer_mode: "extractive"`).
 */
const SENTENCE = /[^.!?。！？；\n]+[.!?。！？；]*/gu;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/u;

/** Words that match everything and so decide nothing. */
const STOP = new Set(
  "the and for are was were what which who whom whose when where why how does did do has have had this that these those with from into about than then there their they them its it's can could would should will shall may might not but any all some been being also only such very more most other over under after before between same each".split(
    " ",
  ),
);

/** Lower-cased Latin words and Chinese character bigrams (and single characters): a bag of terms. */
export function terms(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (!CJK.test(word)) {
      // Plural "s" off, so "tide" finds "tides": the one stemming rule that is nearly always right.
      if ((word.length > 2 || /\d/.test(word)) && !STOP.has(word)) out.add(word.length > 3 && /[^s]s$/.test(word) ? word.slice(0, -1) : word);
      continue;
    }
    const chars = Array.from(word);
    for (let i = 0; i < chars.length; i++) {
      out.add(chars[i]!);
      if (i + 1 < chars.length) out.add(chars[i]! + chars[i + 1]!);
    }
  }
  return out;
}

export function extractiveAnswer(question: string, passages: Passage[], options: { maxSentences?: number } = {}): string {
  const wanted = terms(question);
  const sentences = passages.flatMap((passage, i) =>
    [...passage.text.matchAll(SENTENCE)]
      .map((m) => m[0].trim())
      .filter((t) => t.length >= 8)
      .map((sentence) => ({ n: i + 1, sentence, terms: terms(sentence) })),
  );
  // Rare terms say more: weight each shared term by its inverse sentence frequency.
  const weight = new Map<string, number>();
  for (const t of wanted) {
    const df = sentences.filter((s) => s.terms.has(t)).length;
    if (df > 0) weight.set(t, Math.log(1 + sentences.length / df) * (t.length > 1 ? 2 : 1));
  }
  const scored = sentences
    .map((s, order) => ({ ...s, order, score: [...weight].reduce((sum, [t, w]) => (s.terms.has(t) ? sum + w : sum), 0) - s.n * 0.001 }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const chinese = isChineseText(question);
  if (scored.length === 0) {
    return chinese ? "资料中没有与问题相关的句子。" : "None of the retrieved passages has a sentence that matches the question.";
  }
  // Keep the best sentence and those close to it, in reading order.
  const best = scored
    .filter((s) => s.score >= scored[0]!.score * 0.6)
    .slice(0, options.maxSentences ?? 3)
    .sort((a, b) => a.order - b.order);
  return best.map((s) => `${s.sentence} [${s.n}]`).join(chinese ? "" : " ");
}
