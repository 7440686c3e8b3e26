import type { EmbedModelProfile } from "../src/providers/embed-models.js";
import { cleanPdfText, normalizeText } from "./loaders/clean-text.js";
import type { LoadedDocument } from "./loaders/types.js";
import { CHAR, type Level, MAX_CHARS_PER_TOKEN, PARAGRAPH, type Range, type SeparatorLevel, WORD, sizer, splitChars, splitRange, suffixWithin } from "./chunk-split.js";

export interface Chunk {
  /** 0..n-1 in document order. */
  index: number;
  /** The text to embed: the section text only (the heading is in `heading`, not repeated here). */
  text: string;
  /** First and last page the text comes from (equal for a one-page chunk); null outside PDFs. */
  page: number | null;
  pageEnd: number | null;
  /** Heading path of the section, `A > B`; "" when the text has none (e.g. every PDF page). */
  heading: string;
  /** `countTokens(text)`. */
  tokens: number;
}

export interface ChunkOptions {
  /** Hard limit: no chunk's `countTokens(text)` exceeds it. */
  maxTokens: number;
  /** Tokens from the end of a chunk repeated at the start of the next one (never across headings). */
  overlapTokens: number;
  /**
   * Size to fill each chunk with new text up to. A single sentence longer than this
   * (but within `maxTokens`) stays whole in a chunk of its own rather than being cut.
   * @default maxTokens
   */
  targetTokens?: number;
  countTokens: (text: string) => number;
}

/** The prefix e5 expects before every passage (NIM adds it for `input_type: passage`; vLLM/TEI users add it themselves). */
const PASSAGE_PREFIX = "passage: ";
/** Tokens kept free under the model limit for the provider tokenizer's Unicode handling differing from ours. */
const SAFETY_MARGIN = 28;

/**
 * Chunk sizes per model.
 * - e5 (512 tokens per input, counted exactly): hard max 512 - [CLS]/[SEP] - "passage: " (2)
 *   - 28 spare = 480; new text packed to 350 (about 250 English words: a few paragraphs,
 *   one topic), 50 tokens (~15%) of overlap.
 * - bge-m3 (8,192 tokens, counted by an over-estimate): 512 target, 768 max, 75 overlap.
 *   Longer chunks would embed more topics into one vector and dilute retrieval; the
 *   model's long limit is what makes the estimate safe, not a reason to fill it.
 */
export function chunkOptionsFor(profile: EmbedModelProfile, countTokens: (text: string) => number): ChunkOptions {
  if (profile.tokenizer === "bert-wordpiece") {
    const maxTokens = profile.maxTokens - 2 - countTokens(PASSAGE_PREFIX) - SAFETY_MARGIN;
    return { maxTokens, targetTokens: Math.min(350, maxTokens), overlapTokens: 50, countTokens };
  }
  return { maxTokens: Math.min(768, profile.maxTokens), targetTokens: 512, overlapTokens: 75, countTokens };
}

/**
 * A text unit no chunk boundary falls inside: a paragraph, sentence, clause, word, or a
 * run of characters. `tokens` is its standalone size.
 */
interface Atom extends Range {
  part: number;
  level: Level;
  tokens: number;
}

interface Part {
  text: string;
  page: number | null;
}

/**
 * Splits a document into chunks of at most `maxTokens`, at the strongest boundary
 * available: heading (a chunk never mixes two headings, but may run over consecutive
 * pages under the same one), paragraph, sentence, clause, word, and only then
 * characters. Units are counted once and packed greedily; each chunk is counted once
 * more as joined, and shortened if joining made it longer. Every non-space character of
 * the (cleaned) input is in some chunk, in order; chunks overlap by whole trailing units
 * where they fit, else by the last unit's trailing sentences/words.
 */
export function chunkDocument(doc: LoadedDocument, options: ChunkOptions): Chunk[] {
  const { maxTokens, overlapTokens, countTokens } = options;
  const targetTokens = options.targetTokens ?? maxTokens;
  validate(maxTokens, targetTokens, overlapTokens, countTokens);
  const size = sizer(countTokens);

  const chunks: Chunk[] = [];
  for (const group of groupByHeading(doc)) {
    const atoms: Atom[] = [];
    for (const [index, part] of group.parts.entries()) atomize(part.text, { start: 0, end: part.text.length }, PARAGRAPH, index, atoms);
    for (const packed of pack(atoms)) {
      const first = group.parts[packed.atoms[0]!.part]!;
      const last = group.parts[packed.atoms.at(-1)!.part]!;
      chunks.push({ index: chunks.length, text: packed.text, page: first.page, pageEnd: last.page, heading: group.heading, tokens: packed.tokens });
    }

    function atomize(text: string, range: Range, level: SeparatorLevel, part: number, out: Atom[]): void {
      for (const piece of splitRange(text, range, level)) {
        const tokens = size(text.slice(piece.start, piece.end));
        if (tokens <= (level === PARAGRAPH ? targetTokens : maxTokens)) {
          out.push({ ...piece, part, level, tokens });
        } else if (level < WORD) {
          atomize(text, piece, (level + 1) as SeparatorLevel, part, out);
        } else {
          for (const chars of splitChars(text, piece, targetTokens, size)) out.push({ ...chars, part, level: CHAR, tokens: size(text.slice(chars.start, chars.end)) });
        }
      }
    }

    function pack(all: Atom[]): Array<{ atoms: Atom[]; text: string; tokens: number }> {
      const packed: Array<{ atoms: Atom[]; text: string; tokens: number }> = [];
      let current: Atom[] = [];
      let carried = 0; // leading atoms of `current` repeated from the previous chunk
      let fresh = 0; // tokens of the others
      let total = 0;
      const close = (): number => {
        // Returns how many atoms were handed back to the next chunk.
        let handedBack = 0;
        for (;;) {
          const text = joinAtoms(group.parts, current);
          const tokens = countTokens(text);
          if (Math.max(tokens, Math.ceil(text.length / MAX_CHARS_PER_TOKEN)) <= maxTokens) {
            packed.push({ atoms: current, text, tokens });
            return handedBack;
          }
          if (current.length - carried > 1) {
            current = current.slice(0, -1);
            handedBack++;
          } else if (carried > 0) {
            current = current.slice(1);
            carried--;
          } else {
            throw new RangeError(`Cannot fit "${text.slice(0, 20)}" into ${maxTokens} tokens: countTokens counts a single character as more`);
          }
        }
      };
      const startNext = () => {
        current = overlapAfter(current);
        carried = current.length;
        total = current.reduce((sum, a) => sum + a.tokens, 0);
        fresh = 0;
      };
      for (let i = 0; i <= all.length; i++) {
        const atom = all[i];
        if (atom === undefined) {
          if (current.length === carried) break;
          const handedBack = close();
          if (handedBack === 0) break;
          i -= handedBack + 1; // re-read the atoms that did not fit
          startNext();
          continue;
        }
        if (current.length === carried) {
          // First new atom of a chunk: keep as much of the carried overlap as fits.
          while (carried > 0 && total + atom.tokens > maxTokens) {
            total -= current[0]!.tokens;
            current = current.slice(1);
            carried--;
          }
        } else if (fresh + atom.tokens > targetTokens || total + atom.tokens > maxTokens) {
          i -= close() + 1; // re-read this atom, and any the closed chunk handed back
          startNext();
          continue;
        }
        current.push(atom);
        fresh += atom.tokens;
        total += atom.tokens;
      }
      return packed;
    }

    /**
     * The start of the next chunk: the trailing atoms of this one that fit the overlap
     * budget (never all of them), then the trailing sentences of the atom before them
     * that fit what is left, or, when not one whole atom fits, of the last atom.
     */
    function overlapAfter(chunk: Atom[]): Atom[] {
      if (overlapTokens === 0) return [];
      const tail: Atom[] = [];
      let sum = 0;
      let j = chunk.length - 1;
      for (; j > 0 && sum + chunk[j]!.tokens <= overlapTokens; j--) {
        tail.unshift(chunk[j]!);
        sum += chunk[j]!.tokens;
      }
      const atom = chunk[j]!;
      const text = group.parts[atom.part]!.text;
      const start = tailStart(text, atom, overlapTokens - sum, tail.length === 0);
      if (start !== undefined) tail.unshift({ part: atom.part, level: atom.level, start, end: atom.end, tokens: size(text.slice(start, atom.end)) });
      return tail;
    }
  }
  return chunks;

  /**
   * Where the longest run of whole trailing pieces of `atom` within `budget` starts, at
   * the first level below the atom's own that cuts it (sentences, else clauses, words).
   * If none fits and `deep`, it looks inside the last piece, down to characters.
   */
  function tailStart(text: string, atom: Atom, budget: number, deep: boolean): number | undefined {
    if (budget <= 0) return undefined;
    let range: Range = atom;
    for (let level = atom.level + 1; level <= WORD; level++) {
      const pieces = splitRange(text, range, level as SeparatorLevel);
      if (pieces.length <= 1) continue;
      let start: number | undefined;
      let sum = 0;
      for (let j = pieces.length - 1; j > 0; j--) {
        const piece = pieces[j]!;
        sum += size(text.slice(piece.start, piece.end));
        if (sum > budget) break;
        start = piece.start;
      }
      if (start !== undefined || !deep) return start;
      range = pieces.at(-1)!;
    }
    return deep ? suffixWithin(text, range, budget, size) : undefined;
  }
}

/** Sections as the chunker sees them: cleaned, empty ones dropped, consecutive ones with the same heading together. */
function groupByHeading(doc: LoadedDocument): Array<{ heading: string; parts: Part[] }> {
  const groups: Array<{ heading: string; parts: Part[] }> = [];
  for (const section of doc.sections) {
    const text = doc.format === "pdf" ? cleanPdfText(section.text) : normalizeText(section.text).trim();
    if (!text) continue;
    const heading = section.heading ?? "";
    const part = { text, page: section.page ?? null };
    const last = groups.at(-1);
    if (last && last.heading === heading) last.parts.push(part);
    else groups.push({ heading, parts: [part] });
  }
  return groups;
}

/** Atoms are in source order: within a part, the source text from the first to the last; parts joined by a blank line. */
function joinAtoms(parts: Part[], atoms: Atom[]): string {
  const pieces: string[] = [];
  let i = 0;
  while (i < atoms.length) {
    const first = atoms[i]!;
    let j = i;
    while (j + 1 < atoms.length && atoms[j + 1]!.part === first.part) j++;
    pieces.push(parts[first.part]!.text.slice(first.start, atoms[j]!.end));
    i = j + 1;
  }
  return pieces.join("\n\n");
}

function validate(maxTokens: number, targetTokens: number, overlapTokens: number, countTokens: unknown): void {
  const check = (name: string, value: number, ok: boolean, rule: string) => {
    if (!ok) throw new TypeError(`Expected \`${name}\` to be ${rule}, got \`${value}\` (${typeof value})`);
  };
  check("maxTokens", maxTokens, Number.isInteger(maxTokens) && maxTokens >= 1, "an integer >= 1");
  check("targetTokens", targetTokens, Number.isInteger(targetTokens) && targetTokens >= 1 && targetTokens <= maxTokens, `an integer from 1 to maxTokens (${maxTokens})`);
  check("overlapTokens", overlapTokens, Number.isInteger(overlapTokens) && overlapTokens >= 0 && overlapTokens < targetTokens, `an integer >= 0 and < targetTokens (${targetTokens})`);
  if (typeof countTokens !== "function") throw new TypeError(`Expected \`countTokens\` to be a function, got \`${String(countTokens)}\` (${typeof countTokens})`);
}
