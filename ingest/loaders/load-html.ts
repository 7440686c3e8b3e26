import { Parser } from "htmlparser2";
import { normalizeText } from "./clean-text.js";
import { decodeText } from "./decode-text.js";
import type { LoadedDocument, LoadedSection } from "./types.js";

/** Elements whose content is not part of the page's visible text (`title` is read apart). */
const HIDDEN = new Set(["script", "style", "noscript", "template", "svg", "math", "head", "title", "iframe", "object"]);
/** Their `<title>` is an image's tooltip, not the page's. */
const GRAPHICS = new Set(["svg", "math"]);
/** Elements that break the text into paragraphs. */
const BLOCKS = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "dd",
  "details",
  "dialog",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "header",
  "hgroup",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "tfoot",
  "thead",
  "ul",
]);
const HEADING = /^h([1-6])$/;
const CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i;

/**
 * The visible text of an HTML page, split into sections at h1-h6 (heading paths as
 * in Markdown). Title: `<title>`, else the first h1, else the file name. Entities are
 * decoded by htmlparser2; whitespace collapses as a browser would, except inside `<pre>`.
 * The bytes are decoded as UTF-8, else as the page's `<meta charset>`, else GB18030.
 */
export function loadHtml(bytes: Uint8Array, name: string): LoadedDocument {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 2048));
  const html = normalizeText(decodeText(bytes, CHARSET.exec(head)?.[1]));

  const sections: LoadedSection[] = [];
  const path: string[] = [];
  const hiding: boolean[] = []; // per open element: did it start hidden content?
  let hidden = 0;
  let graphics = 0;
  let pre = 0;
  let text = "";
  let title: string | undefined;
  let firstH1: string | undefined;
  let titleText: string | undefined; // collecting <title>
  let headingText: string | undefined; // collecting <hN>

  const flush = () => {
    const body = text.replace(/\n{3,}/g, "\n\n").trim();
    const heading = path.filter(Boolean).join(" > ");
    if (body) sections.push(heading ? { text: body, heading } : { text: body });
    text = "";
  };
  const breakLine = (separator: "\n" | "\n\n") => {
    text = text.replace(/[ \t]+$/, "");
    if (text && !text.endsWith(separator)) text += text.endsWith("\n") ? "\n" : separator;
  };

  const parser = new Parser(
    {
      onopentag(tag, attributes) {
        const hides = HIDDEN.has(tag) || "hidden" in attributes;
        hiding.push(hides);
        if (hides) hidden++;
        if (GRAPHICS.has(tag)) graphics++;
        if (tag === "title" && graphics === 0 && title === undefined) titleText = "";
        if (hidden > 0) return;
        const level = HEADING.exec(tag)?.[1];
        if (level) {
          flush();
          path.length = Number(level) - 1;
          headingText = "";
        } else if (tag === "br") breakLine("\n");
        else if (tag === "tr") breakLine("\n");
        else if (tag === "td" || tag === "th") text += text && !/\s$/.test(text) ? " " : "";
        else if (BLOCKS.has(tag)) breakLine("\n\n");
        if (tag === "pre") pre++;
      },
      ontext(data) {
        if (titleText !== undefined) titleText += data;
        if (hidden > 0) return;
        if (headingText !== undefined) {
          headingText += data;
          return;
        }
        if (pre > 0) {
          text += data;
          return;
        }
        const collapsed = data.replace(/\s+/g, " ");
        text += /(^|\s)$/.test(text) ? collapsed.replace(/^ /, "") : collapsed;
      },
      onclosetag(tag) {
        if (tag === "title" && titleText !== undefined) {
          title = collapse(titleText) || undefined;
          titleText = undefined;
        }
        if (GRAPHICS.has(tag)) graphics--;
        if (hiding.pop()) {
          hidden--;
          return;
        }
        if (hidden > 0) return;
        const level = HEADING.exec(tag)?.[1];
        if (level && headingText !== undefined) {
          const heading = collapse(headingText);
          headingText = undefined;
          path[Number(level) - 1] = heading;
          if (level === "1" && heading && firstH1 === undefined) firstH1 = heading;
        } else if (tag === "pre") {
          pre--;
          breakLine("\n\n");
        } else if (BLOCKS.has(tag)) breakLine("\n\n");
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  flush();
  return { format: "html", title: title ?? firstH1 ?? name, sections };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
