/**
 * Terms shared by the token estimate, the fake vectors, the extractive responder
 * and the reranker: lower-cased Latin words, and single CJK characters because
 * Chinese is written without spaces (a space-assuming splitter would see one
 * "word" per sentence).
 */

const CJK_CLASS = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}";
const CJK_CHAR = new RegExp(`[${CJK_CLASS}]`, "u");
// A word is a run of letters/digits that are not CJK; the lookahead keeps "API是" as "API" + "是".
const TERM = new RegExp(`[${CJK_CLASS}]|(?:(?![${CJK_CLASS}])[\\p{L}\\p{N}])+`, "gu");

export interface Term {
  text: string;
  cjk: boolean;
  /** Offsets in the text given to termMatches. */
  start: number;
  end: number;
}

/** Terms of the raw text with their offsets (case kept), for truncation. */
export function termMatches(text: string): Term[] {
  const out: Term[] = [];
  for (const m of text.matchAll(TERM)) {
    const start = m.index;
    out.push({ text: m[0], cjk: CJK_CHAR.test(m[0]), start, end: start + m[0].length });
  }
  return out;
}

/** Normalised terms: NFKC folds full-width letters, then lower case. */
export function terms(text: string): Term[] {
  return termMatches(text.normalize("NFKC").toLowerCase());
}

export function containsCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** Adjacent pairs of the same script: word bigrams for Latin, character bigrams for CJK. */
export function bigrams(list: Term[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1]!;
    const b = list[i]!;
    if (a.cjk === b.cjk) out.push(`${a.text} ${b.text}`);
  }
  return out;
}

// Function words would make every sentence "overlap" every question, so the
// "sources do not contain the answer" path could never fire.
const STOPWORDS = new Set([
  ..."a an the is are was were be been of to in on at for and or not what which who whom whose how why when where does do did it its this that these those with by as from can could would should will i you he she we they my your me please about there their than then so if into".split(
    " ",
  ),
  ..."的了是在和与及也吗呢吧啊么什哪个怎样如何为这那有".split(""),
]);

export function isStopword(term: string): boolean {
  return STOPWORDS.has(term);
}

export interface Features {
  unigrams: Set<string>;
  bigrams: Set<string>;
}

/** Content-word features used for overlap scoring. */
export function features(text: string): Features {
  const content = terms(text).filter((t) => !STOPWORDS.has(t.text));
  return { unigrams: new Set(content.map((t) => t.text)), bigrams: new Set(bigrams(content)) };
}

/** Shared unigrams count 1, shared bigrams 0.5: phrase matches break ties between sentences. */
export function overlapScore(query: Features, text: Features): number {
  let score = 0;
  for (const u of query.unigrams) if (text.unigrams.has(u)) score += 1;
  for (const b of query.bigrams) if (text.bigrams.has(b)) score += 0.5;
  return score;
}
