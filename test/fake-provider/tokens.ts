import { termMatches, type Term } from "./lexical.js";

/**
 * Token estimate after e5-v5's BERT WordPiece tokenizer (REFERENCE.md): about one
 * token per Chinese character and about 1.3 per English word. Punctuation and
 * whitespace are free. The fake enforces model limits with this, so a client that
 * sizes chunks with a real tokenizer stays comfortably inside them.
 */
export function estimateTokens(text: string): number {
  return costOf(termMatches(text));
}

function costOf(list: Term[]): number {
  let cjk = 0;
  for (const t of list) if (t.cjk) cjk++;
  return cjk + Math.ceil((list.length - cjk) * 1.3);
}

/**
 * Cut `text` to at most `maxTokens` estimated tokens, like NIM's `truncate`:
 * "END" drops the end (keeps the start), "START" drops the start.
 */
export function truncateToTokens(text: string, maxTokens: number, side: "START" | "END"): string {
  const list = termMatches(text);
  if (costOf(list) <= maxTokens) return text;
  const ordered = side === "END" ? list : [...list].reverse();
  let cjk = 0;
  let words = 0;
  let kept = 0;
  for (const t of ordered) {
    const nextCjk = cjk + (t.cjk ? 1 : 0);
    const nextWords = words + (t.cjk ? 0 : 1);
    if (nextCjk + Math.ceil(nextWords * 1.3) > maxTokens) break;
    cjk = nextCjk;
    words = nextWords;
    kept++;
  }
  if (kept === 0) return "";
  return side === "END" ? text.slice(0, list[kept - 1]!.end) : text.slice(list[list.length - kept]!.start);
}
