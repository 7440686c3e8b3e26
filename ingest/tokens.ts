import type { EmbedModelProfile } from "../src/providers/embed-models.js";
import { createWordPieceTokenizer } from "./tokens-wordpiece.js";

/** Counts a text's tokens for one embedding model, without the special tokens the model adds. */
export type TokenCounter = (text: string) => number;

/**
 * A token counter for the model's tokenizer family.
 *
 * - `bert-wordpiece` (e5): the exact BERT uncased count. It excludes [CLS] and [SEP]:
 *   what the model sees is `count("passage: " + text) + 2`.
 * - `xlmr-sentencepiece` (bge-m3): an estimate, because the 250k-piece XLM-R model is
 *   not shipped here; see {@link estimateTokens}.
 */
export function createTokenCounter(profile: EmbedModelProfile): TokenCounter {
  switch (profile.tokenizer) {
    case "bert-wordpiece":
      return createWordPieceTokenizer().count;
    case "xlmr-sentencepiece":
      return estimateTokens;
  }
}

const WORD = /^[\p{L}\p{N}\p{M}]$/u;
const ALONE = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]$/u;
const LOWER_LATIN = /^[\p{Ll}\p{M}]$/u;
/** Character classes for the estimate (a plain object, not a `const enum`, so any TS toolchain compiles it). */
const Kind = {
  Unknown: 0,
  Space: 1,
  Alone: 2, // one token each: CJK, kana, Hangul, punctuation, symbols
  Lower: 3, // lower-case Latin letters: about 4 per XLM-R token in English
  Other: 4, // capitals, digits, other scripts: split finer by XLM-R (and BERT)
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];
const kinds = new Uint8Array(0x10000);

function kindOf(cp: number): Kind {
  const known = cp < 0x10000 ? (kinds[cp] as Kind) : Kind.Unknown; // the cache only ever holds Kind values
  if (known !== Kind.Unknown) return known;
  const char = String.fromCodePoint(cp);
  const kind = /^\s$/u.test(char) ? Kind.Space : ALONE.test(char) || !WORD.test(char) ? Kind.Alone : LOWER_LATIN.test(char) && /^[\p{Script=Latin}\p{M}]$/u.test(char) ? Kind.Lower : Kind.Other;
  if (cp < 0x10000) kinds[cp] = kind;
  return kind;
}

/**
 * A deliberately high estimate of an XLM-R SentencePiece count (bge-m3), from character
 * classes alone:
 * - one token per CJK/kana/Hangul character, punctuation mark or symbol (XLM-R often
 *   merges two or three Chinese characters into one piece), plus one for the "▁" that may
 *   stand alone before a CJK character that follows a space;
 * - one per 3 letters of a lower-case Latin word (English averages about 4 per token),
 *   one per 2 characters of any other word (capitals, digits, other scripts split finer);
 * - 10% on top.
 * On the XQuAD samples this is 1.9x the exact WordPiece count in English and 1.15x in
 * Chinese; the tests check it is never below it on any paragraph of XQuAD (English
 * and Chinese) or CMRC 2018. Odd strings (hex, long
 * identifiers) may cost more than estimated; bge-m3's 8,192-token limit absorbs that,
 * since chunks are sized at a tenth of it.
 */
export function estimateTokens(text: string): number {
  let total = 0;
  let run = 0; // length of the current word
  let plain = true; // the word is lower-case Latin after its first letter
  let spaced = false; // whitespace just before: SentencePiece's "▁" may be a token of its own before CJK
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    const kind = kindOf(cp);
    if (kind === Kind.Lower || kind === Kind.Other) {
      if (kind === Kind.Other && run > 0) plain = false;
      run++;
      spaced = false;
      continue;
    }
    total += wordEstimate(run, plain);
    if (kind === Kind.Alone) total += spaced && cp >= 0x2e80 ? 2 : 1;
    spaced = kind === Kind.Space;
    run = 0;
    plain = true;
  }
  total += wordEstimate(run, plain);
  // 10% on top for what character classes cannot see: rare words and markup split letter by letter.
  return Math.ceil(total * 1.1);
}

function wordEstimate(length: number, plain: boolean): number {
  return Math.ceil(length / (plain ? 3 : 2));
}
