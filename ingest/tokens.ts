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
const enum Kind {
  Unknown = 0,
  Space,
  Word, // letters, digits, marks: counted per run
  Alone, // one token each: CJK, kana, Hangul, punctuation, symbols
}
const kinds = new Uint8Array(0x10000);

function kindOf(cp: number): Kind {
  const known = cp < 0x10000 ? kinds[cp]! : Kind.Unknown;
  if (known !== Kind.Unknown) return known;
  const char = String.fromCodePoint(cp);
  const kind = /^\s$/u.test(char) ? Kind.Space : ALONE.test(char) ? Kind.Alone : WORD.test(char) ? Kind.Word : Kind.Alone;
  if (cp < 0x10000) kinds[cp] = kind;
  return kind;
}

/**
 * A deliberately high estimate of an XLM-R SentencePiece count (bge-m3): one token per
 * CJK/kana/Hangul character, punctuation mark or symbol, and one per 3 characters of
 * every other word (rounded up). XLM-R averages about 4 characters per token in
 * English and merges common Chinese words into one piece, so this over-counts usual
 * text by roughly a third; the tests check it is never below the exact WordPiece count
 * on English and Chinese samples. Odd strings (hex, long identifiers) may cost more
 * than estimated, which bge-m3's 8,192-token limit absorbs: chunks are sized at a
 * tenth of it.
 */
export function estimateTokens(text: string): number {
  let total = 0;
  let run = 0;
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
    if (kind === Kind.Word) {
      run++;
      continue;
    }
    total += Math.ceil(run / 3) + (kind === Kind.Alone ? 1 : 0);
    run = 0;
  }
  return total + Math.ceil(run / 3);
}
