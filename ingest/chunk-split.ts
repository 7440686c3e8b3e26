/** Where the chunker may cut a text, strongest boundary first. */
export interface Range {
  start: number;
  end: number;
}

export const PARAGRAPH = 0;
export const SENTENCE = 1;
export const CLAUSE = 2;
export const WORD = 3;
export const CHAR = 4;
export type Level = typeof PARAGRAPH | typeof SENTENCE | typeof CLAUSE | typeof WORD | typeof CHAR;
/** The levels cut at a separator; below them, text is cut between characters. */
export type SeparatorLevel = Exclude<Level, typeof CHAR>;

/** No text is sized at fewer tokens than its length / this (see {@link sizer}). */
export const MAX_CHARS_PER_TOKEN = 12;

/** Closing quotes and brackets that stay with the sentence they end. */
const CLOSERS = `"'”’)\\]」』）》`;
const SEPARATORS: Record<SeparatorLevel, RegExp> = {
  [PARAGRAPH]: /\n[^\S\n]*\n\s*/g,
  // Latin sentence ends need a following space ("3.5", "e.g.x" stay whole); CJK ones do not.
  [SENTENCE]: new RegExp(`(?<=[.!?…][${CLOSERS}]*)\\s+|(?<=[。！？；][${CLOSERS}]*)(?![${CLOSERS}。！？；])\\s*`, "gu"),
  [CLAUSE]: new RegExp(`(?<=[,;:][${CLOSERS}]*)\\s+|(?<=[，、：][${CLOSERS}]*)(?![${CLOSERS}，、：])\\s*`, "gu"),
  [WORD]: /\s+/g,
};

/**
 * Tokens as the chunker sizes text: the counter's count, but at least one per 12
 * characters. Normal text has 1-5 characters per token; the floor only bites on runs
 * BERT counts as one [UNK] however long (a base64 data URI, a 100+ letter "word"),
 * which would otherwise become a kilobyte-long chunk of "1 token".
 */
export function sizer(countTokens: (text: string) => number): (text: string) => number {
  return (text) => Math.max(countTokens(text), Math.ceil(text.length / MAX_CHARS_PER_TOKEN));
}

/**
 * The pieces of `range` between separators of `level` (paragraph: blank lines; sentence:
 * `. ! ?` + space or `。！？；`; clause: `, ; :` + space or `，、：`; word: whitespace),
 * trimmed; whitespace-only pieces dropped. Only whitespace lies between the pieces.
 */
export function splitRange(text: string, range: Range, level: SeparatorLevel): Range[] {
  const slice = text.slice(range.start, range.end);
  const pieces: Range[] = [];
  const add = (from: number, to: number) => {
    while (from < to && /\s/.test(slice[from]!)) from++;
    while (to > from && /\s/.test(slice[to - 1]!)) to--;
    if (to > from) pieces.push({ start: range.start + from, end: range.start + to });
  };
  let from = 0;
  for (const match of slice.matchAll(SEPARATORS[level])) {
    add(from, match.index);
    from = match.index + match[0].length;
  }
  add(from, slice.length);
  return pieces;
}

/** Start offsets of the code points in `range`, plus `range.end`: cuts never split a surrogate pair. */
function codePointOffsets(text: string, range: Range): number[] {
  const offsets: number[] = [];
  for (let i = range.start; i < range.end; i++) {
    offsets.push(i);
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < range.end) i++;
  }
  offsets.push(range.end);
  return offsets;
}

/** Index of the first offset greater than `value` (offsets ascend); `offsets.length` if none. */
function firstAbove(offsets: number[], value: number): number {
  let low = 0;
  let high = offsets.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (offsets[mid]! > value) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * Cuts `range` into runs of characters of at most `limit` (by `size`), each as long as
 * a binary search finds. The last resort, for a CJK run without punctuation or a giant
 * token. A single character is always accepted.
 */
export function splitChars(text: string, range: Range, limit: number, size: (text: string) => number): Range[] {
  const offsets = codePointOffsets(text, range);
  const pieces: Range[] = [];
  let first = 0;
  while (first < offsets.length - 1) {
    const start = offsets[first]!;
    let best = first + 1;
    let low = first + 2;
    // Longer runs are over the limit by `size`'s floor: search only up to there.
    let high = Math.max(low, firstAbove(offsets, start + limit * MAX_CHARS_PER_TOKEN) - 1);
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (size(text.slice(start, offsets[mid])) <= limit) {
        best = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    pieces.push({ start, end: offsets[best]! });
    first = best;
  }
  return pieces;
}

/** The start of the longest proper suffix of `range` within `budget` (by `size`), cut between characters; undefined if none. */
export function suffixWithin(text: string, range: Range, budget: number, size: (text: string) => number): number | undefined {
  const offsets = codePointOffsets(text, range);
  const end = range.end;
  let best: number | undefined;
  let low = Math.max(1, Math.min(offsets.length - 2, firstAbove(offsets, end - budget * MAX_CHARS_PER_TOKEN - 1)));
  let high = offsets.length - 2;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (size(text.slice(offsets[mid], end)) <= budget) {
      best = mid;
      high = mid - 1;
    } else {
      low = mid + 1;
    }
  }
  return best === undefined ? undefined : offsets[best];
}
