import type { SearchHit } from "../store/vector-store.js";

/**
 * Turns ranked hits into the passages a model reads: duplicates and chunks contained
 * in another dropped, neighbouring chunks of one document merged (their overlap said
 * once), and the whole kept within a token budget, best passages first.
 */
export interface Passage extends SearchHit {
  /** Every chunk merged into this passage, in document order. */
  chunkIds: string[];
}

export interface ContextOptions {
  /** Tokens the sources may take in the prompt (estimated). */
  maxTokens: number;
}

/** A cautious token estimate for any chat model: CJK ~1 per character, other text ~1 per 3.5 characters. */
export function estimateChatTokens(text: string): number {
  const cjk = text.match(/[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff]/g)?.length ?? 0;
  return cjk + Math.ceil((text.length - cjk) / 3.5);
}

/** Length of the longest suffix of `a` that is a prefix of `b` (the chunker's overlap). */
function overlapLength(a: string, b: string): number {
  for (let n = Math.min(a.length, b.length); n > 0; n--) {
    if (a.endsWith(b.slice(0, n))) return n;
  }
  return 0;
}

function joinNeighbours(a: string, b: string): string {
  const n = overlapLength(a, b);
  return n > 0 ? a + b.slice(n) : `${a}\n\n${b}`;
}

export function buildContext(hits: SearchHit[], options: ContextOptions): Passage[] {
  // 1. Drop exact duplicates and chunks whose text another, better hit already holds.
  const kept: SearchHit[] = [];
  for (const hit of hits) {
    const text = hit.text.trim();
    if (kept.some((k) => k.text.includes(text))) continue;
    kept.push(hit);
  }

  // 2. Merge runs of consecutive chunks of one document; the run takes its best rank.
  const byDoc = new Map<string, SearchHit[]>();
  for (const hit of kept) byDoc.set(hit.documentId, [...(byDoc.get(hit.documentId) ?? []), hit]);
  const passages: { rank: number; passage: Passage }[] = [];
  for (const docHits of byDoc.values()) {
    const sorted = [...docHits].sort((a, b) => a.chunkIndex - b.chunkIndex);
    let run: SearchHit[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const best = run.reduce((a, b) => (a.score >= b.score ? a : b));
      const first = run[0]!;
      const last = run[run.length - 1]!;
      const pages = run.flatMap((h) => [h.page, h.pageEnd]).filter((p): p is number => p !== null);
      passages.push({
        rank: kept.indexOf(best),
        passage: {
          ...first,
          score: best.score,
          text: run.slice(1).reduce((text, h) => joinNeighbours(text, h.text), first.text),
          page: pages.length ? Math.min(...pages) : null,
          pageEnd: pages.length && Math.max(...pages) !== Math.min(...pages) ? Math.max(...pages) : null,
          heading: run.every((h) => h.heading === first.heading) ? first.heading : first.heading || last.heading,
          chunkIds: run.map((h) => h.id),
        },
      });
      run = [];
    };
    for (const hit of sorted) {
      if (run.length > 0 && hit.chunkIndex !== run[run.length - 1]!.chunkIndex + 1) flush();
      run.push(hit);
    }
    flush();
  }
  passages.sort((a, b) => a.rank - b.rank);

  // 3. Best first until the budget is spent; the first passage always goes in, cut if needed.
  const out: Passage[] = [];
  let used = 0;
  for (const { passage } of passages) {
    const cost = estimateChatTokens(passage.text);
    if (used + cost > options.maxTokens) {
      if (out.length === 0) {
        const ratio = options.maxTokens / cost;
        const text = passage.text.slice(0, Math.floor(passage.text.length * ratio));
        out.push({ ...passage, text });
        // The cut passage spends its share too: nothing after it may overrun the budget.
        used += estimateChatTokens(text);
      }
      continue;
    }
    out.push(passage);
    used += cost;
  }
  return out;
}
