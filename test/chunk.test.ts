import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type Chunk, type ChunkOptions, chunkDocument, chunkOptionsFor } from "../ingest/chunk.js";
import { type LoadedDocument, cleanPdfText, loadDocument } from "../ingest/loaders/index.js";
import { createTokenCounter } from "../ingest/tokens.js";
import { EMBED_MODELS } from "../src/providers/embed-models.js";

/** Test data kept in the repo; origins and licences in test/fixtures/LICENCES.md. */
const DATA = fileURLToPath(new URL("./fixtures/", import.meta.url));
const e5 = EMBED_MODELS["nvidia/nv-embedqa-e5-v5"];
const bgeM3 = EMBED_MODELS["baai/bge-m3"];
const countE5 = createTokenCounter(e5);
const e5Options = chunkOptionsFor(e5, countE5);

type Squad = { data: Array<{ title: string; paragraphs: Array<{ context: string }> }> };
/** XQuAD as the README suggests: each article a section under its title, paragraphs as body. */
function xquad(language: "en" | "zh"): LoadedDocument {
  const set = JSON.parse(readFileSync(`${DATA}qa/xquad-part1.${language}.json`, "utf8")) as Squad;
  return {
    format: "markdown",
    title: `XQuAD ${language}`,
    sections: set.data.map((article) => ({ heading: article.title, text: article.paragraphs.map((p) => p.context).join("\n\n") })),
  };
}

const squeeze = (text: string) => text.replace(/\s+/g, "");

/** The longest prefix of `next` that is also a suffix of `previous`. */
function overlapOf(previous: string, next: string): string {
  for (let k = Math.min(previous.length, next.length - 1); k > 0; k--) {
    if (next[k - 1] === previous.at(-1) && previous.endsWith(next.slice(0, k))) return next.slice(0, k);
  }
  return "";
}

/**
 * The chunker's contract: indexes 0..n-1; no empty chunk; none over maxTokens (by the
 * real counter); `tokens` right; one heading per chunk, groups in document order; every
 * non-space character of the (cleaned) input in some chunk, in order; consecutive chunks
 * under one heading share an overlap of at most overlapTokens.
 */
function expectContract(doc: LoadedDocument, chunks: Chunk[], options: ChunkOptions): { overlaps: number[] } {
  expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  const groups: Array<{ heading: string; text: string }> = [];
  for (const section of doc.sections) {
    const text = squeeze(doc.format === "pdf" ? cleanPdfText(section.text) : section.text);
    const heading = section.heading ?? "";
    if (groups.at(-1)?.heading === heading) groups.at(-1)!.text += text;
    else if (text) groups.push({ heading, text });
  }
  const overlaps: number[] = [];
  let group = -1;
  let covered = 0;
  for (const [i, chunk] of chunks.entries()) {
    expect(chunk.text.trim(), `chunk ${i} is empty`).not.toBe("");
    expect(chunk.tokens).toBe(options.countTokens(chunk.text));
    expect(chunk.tokens, `chunk ${i} is too long`).toBeLessThanOrEqual(options.maxTokens);
    const previous = chunks[i - 1];
    if (previous?.heading !== chunk.heading) {
      if (group >= 0) expect(covered, `group "${groups[group]!.heading}" not fully covered`).toBe(groups[group]!.text.length);
      group++;
      covered = 0;
    } else {
      const overlap = overlapOf(previous.text, chunk.text);
      expect(overlap, `no overlap between chunks ${i - 1} and ${i}`).not.toBe("");
      overlaps.push(options.countTokens(overlap));
      expect(options.countTokens(overlap)).toBeLessThanOrEqual(options.overlapTokens);
    }
    expect(chunk.heading).toBe(groups[group]!.heading);
    const text = squeeze(chunk.text);
    // Each chunk starts at or before where the previous one ended, and goes past it.
    const at = groups[group]!.text.lastIndexOf(text, covered);
    expect(at, `chunk ${i} is not the next piece of its section`).toBeGreaterThanOrEqual(0);
    expect(at + text.length).toBeGreaterThan(covered);
    covered = at + text.length;
  }
  expect(group).toBe(groups.length - 1);
  expect(covered).toBe(groups[group]!.text.length);
  return { overlaps };
}

describe("chunkOptionsFor", () => {
  it("keeps e5 chunks well under 512 with [CLS], [SEP] and the passage prefix", () => {
    const options = chunkOptionsFor(e5, countE5);
    expect(options).toMatchObject({ maxTokens: 480, targetTokens: 350, overlapTokens: 50 });
    expect(options.maxTokens + 2 + countE5("passage: ")).toBeLessThan(512);
  });

  it("sizes bge-m3 chunks at about 512 estimated tokens with 15% overlap", () => {
    const options = chunkOptionsFor(bgeM3, createTokenCounter(bgeM3));
    expect(options).toMatchObject({ maxTokens: 768, targetTokens: 512, overlapTokens: 75 });
  });
});

describe("chunkDocument on real text", () => {
  it("keeps the contract on the English XQuAD articles with the exact e5 counter", () => {
    const doc = xquad("en");
    const chunks = chunkDocument(doc, e5Options);
    const { overlaps } = expectContract(doc, chunks, e5Options);
    expect(new Set(chunks.map((c) => c.heading)).size).toBe(doc.sections.length);
    expect(chunks.length).toBeGreaterThan(doc.sections.length); // long articles are split
    expect(overlaps.length).toBeGreaterThan(20);
    const average = overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
    expect(average).toBeGreaterThan(25); // whole trailing sentences, not a stray word
    for (const chunk of chunks) {
      expect(chunk.page).toBeNull();
      expect(chunk.pageEnd).toBeNull();
    }
    // Paragraphs (160 tokens on average here) are packed towards the 350 target.
    const inner = chunks.filter((c, i) => chunks[i + 1]?.heading === c.heading);
    expect(inner.reduce((sum, c) => sum + c.tokens, 0) / inner.length).toBeGreaterThan(250);
  });

  it("splits Chinese at sentence ends (。) and keeps the contract", () => {
    const doc = xquad("zh");
    const chunks = chunkDocument(doc, e5Options);
    expectContract(doc, chunks, e5Options);
    const inner = chunks.filter((c, i) => chunks[i + 1]?.heading === c.heading);
    expect(inner.length).toBeGreaterThan(20);
    for (const chunk of inner) expect(chunk.text).toMatch(/[。！？；.!?\]”」）)]$/u);
  });

  it("splits Chinese text with no spaces and no blank lines at 。", () => {
    const zh = squeeze(
      xquad("zh")
        .sections.map((s) => s.text)
        .join(""),
    );
    const doc: LoadedDocument = { format: "text", title: "zh", sections: [{ text: zh }] };
    const chunks = chunkDocument(doc, e5Options);
    expectContract(doc, chunks, e5Options);
    expect(chunks.length).toBeGreaterThan(50);
    for (const [i, chunk] of chunks.entries()) {
      if (i < chunks.length - 1) expect(chunk.text).toMatch(/[。！？；][”」』）]*$/u);
      if (i > 0) {
        // The overlap is whole sentences, or whole clauses when the last sentence alone is over 50 tokens.
        const start = zh.indexOf(chunk.text);
        expect(zh.slice(0, start)).toMatch(/[。！？；，、：][”」』）]*$/u);
      }
    }
  });

  it("carries page ranges across the pages of a long 10-Q and repeats no page text wrongly", async () => {
    const name = "10q-2022-Q3-AAPL.pdf";
    const doc = await loadDocument(new Uint8Array(readFileSync(`${DATA}long-pdfs/${name}`)), name);
    const chunks = chunkDocument(doc, e5Options);
    expectContract(doc, chunks, e5Options);
    const pageText = new Map(doc.sections.map((s) => [s.page!, squeeze(s.text)]));
    let lastStart = 1;
    for (const chunk of chunks) {
      expect(chunk.heading).toBe("");
      expect(chunk.page).toBeGreaterThanOrEqual(lastStart);
      expect(chunk.pageEnd).toBeGreaterThanOrEqual(chunk.page!);
      lastStart = chunk.page!;
      if (chunk.page === chunk.pageEnd) expect(pageText.get(chunk.page!)).toContain(squeeze(chunk.text));
    }
    expect(chunks.at(-1)!.pageEnd).toBe(doc.sections.at(-1)!.page);
    expect(chunks.some((c) => c.pageEnd! > c.page!)).toBe(true);
  });

  it("keeps the contract with bge-m3's estimate", () => {
    const options = chunkOptionsFor(bgeM3, createTokenCounter(bgeM3));
    for (const doc of [xquad("en"), xquad("zh")]) expectContract(doc, chunkDocument(doc, options), options);
  });
});

describe("chunkDocument on hard input", () => {
  let guide: LoadedDocument;
  beforeAll(async () => {
    const en = xquad("en").sections;
    const markdown = `# Guide\n\n${en[0]!.text}\n\n## Install\n\n### Linux\n\n${en[1]!.text}\n\n### macOS\n\nUse Homebrew.`;
    guide = await loadDocument(new TextEncoder().encode(markdown), "guide.md");
  });

  it("carries heading paths and never mixes two headings in a chunk", () => {
    const chunks = chunkDocument(guide, e5Options);
    expectContract(guide, chunks, e5Options);
    expect([...new Set(chunks.map((c) => c.heading))]).toEqual(["Guide", "Guide > Install > Linux", "Guide > Install > macOS"]);
    expect(chunks.at(-1)).toMatchObject({ heading: "Guide > Install > macOS", text: "Use Homebrew." });
  });

  it("cuts a CJK run without punctuation between characters", () => {
    const han = xquad("zh")
      .sections.map((s) => s.text)
      .join("")
      .replace(/\P{Script=Han}/gu, "");
    const doc: LoadedDocument = { format: "text", title: "t", sections: [{ text: han }] };
    const chunks = chunkDocument(doc, e5Options);
    expectContract(doc, chunks, e5Options);
    expect(chunks.length).toBeGreaterThan(50);
  });

  it("cuts a giant token that BERT counts as one [UNK] into bounded pieces", () => {
    const blob = Array.from({ length: 30_000 }, (_, i) => "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789"[(i * 7) % 46]).join("");
    expect(countE5(blob)).toBe(1);
    const doc: LoadedDocument = { format: "markdown", title: "t", sections: [{ text: `Intro sentence.\n\n${blob}\n\nOutro.` }] };
    const chunks = chunkDocument(doc, e5Options);
    expectContract(doc, chunks, e5Options);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(e5Options.maxTokens * 12);
  });

  it("cleans PDF text before splitting", () => {
    const doc: LoadedDocument = {
      format: "pdf",
      title: "t",
      pages: 2,
      sections: [
        { text: "infor-\nmation  re-\ntrieval", page: 1 },
        { text: "next\npage", page: 2 },
      ],
    };
    expect(chunkDocument(doc, e5Options)).toEqual([{ index: 0, text: "information retrieval\n\nnext page", page: 1, pageEnd: 2, heading: "", tokens: countE5("information retrieval next page") }]);
  });

  it("counts each part of the text a few times, not once per append", () => {
    let counted = 0;
    const options: ChunkOptions = {
      ...e5Options,
      countTokens: (text) => {
        counted += text.length;
        return countE5(text);
      },
    };
    const doc = xquad("en");
    chunkDocument(doc, options);
    const length = doc.sections.reduce((sum, s) => sum + s.text.length, 0);
    expect(counted / length).toBeLessThan(6); // about 3.7: units, sentences of long paragraphs, each chunk once, overlaps
  });

  it("skips empty sections and returns nothing for an empty document", () => {
    expect(chunkDocument({ format: "text", title: "t", sections: [{ text: " \n " }] }, e5Options)).toEqual([]);
  });

  it("validates its options in one message format", () => {
    const base = { countTokens: countE5, maxTokens: 100, overlapTokens: 10 };
    expect(() => chunkDocument(xquad("en"), { ...base, overlapTokens: 100 })).toThrow("Expected `overlapTokens` to be an integer >= 0 and < targetTokens (100), got `100` (number)");
    expect(() => chunkDocument(xquad("en"), { ...base, targetTokens: 200 })).toThrow("Expected `targetTokens` to be an integer from 1 to maxTokens (100), got `200` (number)");
    expect(() => chunkDocument(xquad("en"), { ...base, maxTokens: 0 })).toThrow("Expected `maxTokens` to be an integer >= 1, got `0` (number)");
  });
});
