import { normalizeText } from "./clean-text.js";
import { decodeText } from "./decode-text.js";
import type { LoadedDocument, LoadedSection } from "./types.js";

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
/** Lines that cannot be a setext heading's text: list items, quotes, headings, fences. */
const NOT_PARAGRAPH = /^ {0,3}(?:(?:[-*+]|\d{1,9}[.)]|#{1,6})(?:[ \t]|$)|>|`{3}|~{3})/;
const FRONT_MATTER = /^(---|\+\+\+)[ \t]*\n[\s\S]*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|$)/;

/**
 * Markdown split at its headings (ATX `#`..`######`, and setext `===`/`---` under a
 * one-line paragraph). Each section carries its heading path (`Guide > Install > Linux`);
 * the heading line itself is not repeated in the text. Front matter (YAML `---` or TOML
 * `+++`) is dropped; code blocks are kept verbatim, and `#` lines inside them are not headings.
 */
export function loadMarkdown(bytes: Uint8Array, name: string): LoadedDocument {
  const lines = normalizeText(decodeText(bytes)).replace(FRONT_MATTER, "").split("\n");
  const sections: LoadedSection[] = [];
  const path: string[] = []; // path[level - 1] = heading text at that level
  let title: string | undefined;
  let body: string[] = [];
  let fence: string | undefined;

  const flush = () => {
    const text = body.join("\n").trim();
    const heading = path.filter(Boolean).join(" > ");
    if (text) sections.push(heading ? { text, heading } : { text });
    body = [];
  };
  const openHeading = (level: number, text: string) => {
    flush();
    path.length = level - 1;
    path[level - 1] = text;
    if (level === 1 && title === undefined && text) title = text;
  };

  for (const line of lines) {
    const fenceMark = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length && line.trim() === fenceMark) fence = undefined;
      body.push(line);
      continue;
    }
    if (fenceMark) {
      fence = fenceMark;
      body.push(line);
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      openHeading(atx[1]!.length, headingText(atx[2] ?? ""));
      continue;
    }
    // Setext: only under a one-line paragraph, so `---` after a blank line stays a rule.
    const setext = SETEXT.exec(line)?.[1];
    const previous = body.at(-1);
    const beforePrevious = body.at(-2);
    if (setext && previous?.trim() && !beforePrevious?.trim() && !NOT_PARAGRAPH.test(previous)) {
      body.pop();
      openHeading(setext[0] === "=" ? 1 : 2, headingText(previous));
      continue;
    }
    body.push(line);
  }
  flush();
  return { format: "markdown", title: title ?? name, sections };
}

/** Heading text without inline emphasis/code markers and with links reduced to their text. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
