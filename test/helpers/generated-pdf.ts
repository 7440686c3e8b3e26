/**
 * PDFs written byte by byte for the loader tests: stand-ins, in our own words, for the
 * three py-pdf samples too large to keep in test/fixtures (1.8 to 2.8 MB each; see
 * test/fixtures/LICENCES.md). Plain PDF 1.4: Helvetica text (ASCII only), an optional
 * image, a cross-reference table with exact offsets.
 */
import { deflateSync } from "node:zlib";

export interface GeneratedPage {
  /** Paragraphs, each a list of lines; a blank line separates paragraphs on the page. */
  paragraphs: string[][];
  /** A grey image of this size drawn under the text, compressed like a scanner's output. */
  image?: { width: number; height: number };
}

/** A PDF object's body, or a stream (dictionary entries + data; /Length is added). */
export type PdfObject = string | { dictionary: string; data: Uint8Array };

export const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const literal = (text: string) => `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;

/** Objects numbered from 1 in order, a trailer with `trailer` entries, and offsets that hold. */
export function serialize(objects: PdfObject[], trailer: string): Uint8Array {
  const parts: Uint8Array[] = [latin1("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n")];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  const push = (part: Uint8Array) => {
    parts.push(part);
    length += part.length;
  };
  objects.forEach((object, i) => {
    offsets.push(length);
    if (typeof object === "string") {
      push(latin1(`${i + 1} 0 obj\n${object}\nendobj\n`));
      return;
    }
    push(latin1(`${i + 1} 0 obj\n<< ${object.dictionary} /Length ${object.data.length} >>\nstream\n`));
    push(object.data);
    push(latin1("\nendstream\nendobj\n"));
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  push(latin1(`${xref}trailer\n<< /Size ${objects.length + 1} ${trailer} >>\nstartxref\n${length}\n%%EOF\n`));
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A text PDF: one A4 page per entry, 11 pt Helvetica, 14 pt leading, a blank line between paragraphs. */
export function textPdf(pages: GeneratedPage[], title: string): Uint8Array {
  // 1 catalog, 2 page tree, 3 font, 4 info; then per page: page, contents, [image].
  const objects: PdfObject[] = ["", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", `<< /Title ${literal(title)} /Producer (askdocs tests) >>`];
  const kids: number[] = [];
  for (const page of pages) {
    const pageNumber = objects.length + 1;
    kids.push(pageNumber);
    const imageNumber = page.image ? pageNumber + 2 : undefined;
    const lines = page.paragraphs.flatMap((paragraph, i) => [...(i > 0 ? [""] : []), ...paragraph]);
    const draw = page.image ? `q 451 0 0 362 72 400 cm /Im1 Do Q\n` : "";
    const text = `BT /F1 11 Tf 14 TL 72 780 Td\n${lines.map((line) => (line ? `${literal(line)} Tj T*` : "T*")).join("\n")}\nET`;
    const xobject = imageNumber ? ` /XObject << /Im1 ${imageNumber} 0 R >>` : "";
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >>${xobject} >> /Contents ${pageNumber + 1} 0 R >>`);
    objects.push({ dictionary: "", data: latin1(draw + text) });
    if (page.image) {
      const { width, height } = page.image;
      const pixels = Uint8Array.from({ length: width * height }, (_, i) => ((i % width) * 7 + Math.floor(i / width) * 3) % 256);
      objects.push({ dictionary: `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`, data: deflateSync(pixels) });
    }
  }
  objects[0] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  return serialize(objects, "/Root 1 0 R /Info 4 0 R");
}

/**
 * A well-formed file in every way but one: no object is a document catalog and the
 * trailer names none, so no reader can find its pages (as in py-pdf's 017 sample).
 */
export function pdfWithoutCatalog(): Uint8Array {
  return serialize(
    [
      "<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 1 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      { dictionary: "", data: latin1("BT /F1 11 Tf 72 780 Td (A page no catalog points to.) Tj ET") },
    ],
    "",
  );
}

/** `count` pages of numbered English sentences, three paragraphs a page: a long report in our own words. */
export function longReportPages(count: number): GeneratedPage[] {
  return Array.from({ length: count }, (_, p) => ({
    paragraphs: Array.from({ length: 3 }, (_, k) =>
      Array.from({ length: 14 }, (_, line) => `Page ${p + 1}, part ${k + 1}, line ${line + 1}: the survey of harbour ${p * 3 + k} counted ${(p * 37 + line * 11) % 900} vessels.`),
    ),
  }));
}
