import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LoadError, cleanPdfText, detectFormat, loadDocument, type LoadedDocument } from "../ingest/loaders/index.js";
import { longReportPages, pdfWithoutCatalog, textPdf } from "./helpers/generated-pdf.js";

// Real files kept in the repo; origins and licences in test/fixtures/LICENCES.md.
const PDFS = fileURLToPath(new URL("./fixtures/pdfs/", import.meta.url));
const LONG_PDFS = fileURLToPath(new URL("./fixtures/long-pdfs/", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

const pdf = (name: string) => new Uint8Array(readFileSync(PDFS + name));
const utf8 = (text: string) => new TextEncoder().encode(text);
const allText = (doc: LoadedDocument) => doc.sections.map((s) => s.text).join("\n\n");

async function failure(promise: Promise<unknown>): Promise<LoadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoadError);
  return error as LoadError;
}

describe("PDF corpus (py-pdf sample files)", () => {
  const manifest = JSON.parse(readFileSync(PDFS + "files.json", "utf8")) as { data: Array<{ path: string; pages: number; encrypted: boolean }> };
  const expectedPages = new Map(manifest.data.map((entry) => [entry.path.replaceAll("/", "_"), entry.pages]));
  const files = readdirSync(PDFS).filter((name) => name.endsWith(".pdf") && expectedPages.has(name));
  // Too large to keep (1.8 to 2.8 MB each): generated stand-ins below cover what each was here for.
  const leftOut = ["009-pdflatex-geotopo_GeoTopo-komprimiert.pdf", "017-unreadable-meta-data_unreadablemetadata.pdf", "018-base64-image_base64image.pdf"];
  // What each hard file actually does with pdf.js (unpdf 1.7.0):
  const failures: Record<string, { reason: LoadError["reason"]; message: RegExp }> = {
    "005-libreoffice-writer-password_libreoffice-writer-password.pdf": { reason: "encrypted", message: /^encrypted PDF \(password required\)$/ },
    "019-grayscale-image_grayscale-image.pdf": { reason: "no_text", message: /no extractable text \(scanned\? set OCR_MODEL to read page images\)/ },
    "023-cmyk-image_cmyk-image.pdf": { reason: "no_text", message: /no extractable text/ },
  };
  for (const name of files.filter((f) => f.startsWith("007-"))) failures[name] = { reason: "no_text", message: /no extractable text/ };

  it("covers the corpus but the files left out for size", () => {
    // The manifest also lists 009's uncompressed twin, which the corpus never held.
    expect(files.length).toBe(31 - leftOut.length);
    expect(leftOut.filter((name) => expectedPages.has(name))).toEqual(leftOut);
    expect(files.filter((name) => leftOut.includes(name))).toEqual([]);
    expect(Object.keys(failures).filter((name) => files.includes(name))).toHaveLength(7);
  });

  it.each(files)("%s", async (name) => {
    const expected = failures[name];
    if (expected) {
      const error = await failure(loadDocument(pdf(name), name));
      expect(error.reason).toBe(expected.reason);
      expect(error.message).toMatch(expected.message);
      expect(error.status).toBe(422);
      return;
    }
    const doc = await loadDocument(pdf(name), name);
    expect(doc.format).toBe("pdf");
    expect(doc.pages).toBe(expectedPages.get(name));
    expect(doc.sections.length).toBeGreaterThan(0);
    for (const section of doc.sections) {
      expect(section.page).toBeGreaterThanOrEqual(1);
      expect(section.page).toBeLessThanOrEqual(doc.pages!);
      expect(section.text.trim()).not.toBe("");
      expect(section.text).not.toMatch(/[\u0000-\u0008]|[^\S\n]{2}|\n{3}/);
    }
    // One text-layer section per page at most, in page order; form fields and annotations follow their page's text.
    const pages = doc.sections.map((s) => s.page!);
    expect(pages).toEqual([...pages].sort((a, b) => a - b));
    expect(doc.sections.filter((s) => !s.heading).map((s) => s.page)).toEqual([...new Set(doc.sections.filter((s) => !s.heading).map((s) => s.page))]);
  });

  it("reports the error codes and statuses the HTTP layer sends", async () => {
    const encrypted = await failure(loadDocument(pdf("005-libreoffice-writer-password_libreoffice-writer-password.pdf"), "x.pdf"));
    expect([encrypted.status, encrypted.code]).toEqual([422, "encrypted_pdf"]);
    const scanned = await failure(loadDocument(pdf("019-grayscale-image_grayscale-image.pdf"), "x.pdf"));
    expect(scanned.code).toBe("no_text");
    const corrupt = await failure(loadDocument(utf8("%PDF-1.7\nthis is not really a PDF\n%%EOF"), "x.pdf"));
    expect([corrupt.reason, corrupt.code]).toEqual(["corrupt", "corrupt_file"]);
    expect(corrupt.message).toMatch(/^corrupt PDF: ./);
  });

  it("extracts Chinese text from the Simplified Chinese PDF", async () => {
    const doc = await loadDocument(pdf("unstructured_simplified_chinese.pdf"), "unstructured_simplified_chinese.pdf");
    expect(doc.pages).toBe(1);
    const text = allText(doc);
    expect(text).toContain("中华人民共和国国务院侨务办公室");
    expect(text.match(/\p{Script=Han}/gu)?.length).toBeGreaterThan(150);
    // Wrapped Chinese lines are joined without a space.
    expect(text).toContain("办公室监制人");
  });

  it("takes the title from the Info dictionary, else XMP, else the file name", async () => {
    expect((await loadDocument(pdf("011-google-doc-document_google-doc-document.pdf"), "a.pdf")).title).toBe("PDF Example Document");
    expect((await loadDocument(pdf("020-xmp_output_with_metadata_pymupdf.pdf"), "b.pdf")).title).toBe("Sample PDF with XMP Metadata");
    expect((await loadDocument(pdf("001-trivial_minimal-document.pdf"), "uploads/minimal.pdf")).title).toBe("minimal.pdf");
  });

  it("keeps paragraph breaks and removes hard line wraps", async () => {
    const doc = await loadDocument(pdf("026-latex-multicolumn_multicolumn.pdf"), "multicolumn.pdf");
    const first = doc.sections[0]!.text;
    expect(first.startsWith("Two-Column Document with Lorem Ipsum\n\n")).toBe(true);
    expect(first).toContain("Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Ut purus elit, vestibulum ut");
  });

  it("gives up after timeoutMs without an unhandled rejection, and loads normally afterwards", async () => {
    // A real 10-Q with embedded fonts (about 170 ms to load here, warm): pdf.js yields to the
    // timer between its steps. A generated Helvetica-only file is parsed without yielding, so
    // the timer could not fire before it finished: no use here.
    const name = "10q-2022-Q3-AAPL.pdf";
    const bytes = new Uint8Array(readFileSync(LONG_PDFS + name));
    const size = bytes.byteLength;
    const started = Date.now();
    const error = await failure(loadDocument(bytes, name, { timeoutMs: 20 }));
    expect([error.reason, error.code, error.status]).toEqual(["timeout", "load_timeout", 422]);
    expect(Date.now() - started).toBeLessThan(1_000);
    // The caller's buffer was not handed to (and detached by) pdf.js.
    expect(bytes.byteLength).toBe(size);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the abandoned parse wind down
    const doc = await loadDocument(bytes, name);
    expect(doc.pages).toBe(28);
  });
});

describe("generated stand-ins for the PDFs left out for size", () => {
  it("loads every page of a 117-page report (for 009), each page its own section, paragraphs kept", async () => {
    const doc = await loadDocument(textPdf(longReportPages(117), "Harbour survey"), "long-report.pdf");
    expect([doc.format, doc.title, doc.pages]).toEqual(["pdf", "Harbour survey", 117]);
    expect(doc.sections.map((s) => s.page)).toEqual(Array.from({ length: 117 }, (_, i) => i + 1));
    const last = doc.sections[116]!.text;
    expect(last.split("\n\n")).toHaveLength(3);
    expect(last).toMatch(/^Page 117, part 1, line 1: the survey of harbour 348 counted \d+ vessels\. Page 117, part 1, line 2:/);
    expect(last).not.toMatch(/[^\S\n]{2}|\n{3}/);
  });

  it("reports a file whose trailer names no document catalog as corrupt (for 017)", async () => {
    // 017's trailer has no /Root and pdf.js finds no catalog even in recovery mode: the same failure.
    const error = await failure(loadDocument(pdfWithoutCatalog(), "no-catalog.pdf"));
    expect([error.reason, error.code, error.status]).toEqual(["corrupt", "corrupt_file", 422]);
    expect(error.message).toMatch(/^corrupt PDF: Invalid Root reference/);
  });

  it("reads the text of a page drawn over a large image (for 018)", async () => {
    const bytes = textPdf([{ paragraphs: [["Produced with a generator written for these tests."]], image: { width: 781, height: 627 } }], "Untitled");
    const doc = await loadDocument(bytes, "over-image.pdf");
    // "Untitled" is no title: the file name is used, as for 018.
    expect(doc).toMatchObject({ format: "pdf", title: "over-image.pdf", pages: 1 });
    expect(doc.sections).toEqual([{ text: "Produced with a generator written for these tests.", page: 1 }]);
  });
});

describe("cleanPdfText", () => {
  it("joins hyphenated line breaks and hard wraps, keeps paragraphs, folds spaces", () => {
    expect(cleanPdfText("infor-\nmation   retrieval\nsystems.\n\n\n\nNext  paragraph")).toBe("information retrieval systems.\n\nNext paragraph");
  });
  it("keeps hyphens before capitals and numbers", () => {
    expect(cleanPdfText("Jean-\nPaul and COVID-\n19")).toBe("Jean- Paul and COVID- 19");
  });
  it("joins wrapped Chinese lines without a space", () => {
    expect(cleanPdfText("蒸汽机是将蒸汽的能量\n转换为机械功的往复式\n动力机械。\nSteam engine")).toBe("蒸汽机是将蒸汽的能量转换为机械功的往复式动力机械。 Steam engine");
  });
  it("is idempotent", () => {
    const once = cleanPdfText("a-\nb  c\r\nd\n\n\ne\u0003");
    expect(cleanPdfText(once)).toBe(once);
  });
});

describe("Markdown", () => {
  const markdown = [
    "---",
    "title: front matter is not text",
    "---",
    "Intro before any heading.",
    "",
    "# Guide",
    "Welcome.",
    "## Install",
    "### Linux",
    "Run the installer.",
    "```sh",
    "# this is a shell comment, not a heading",
    "./install.sh",
    "```",
    "### macOS ###",
    "Use Homebrew.",
    "## Usage",
    "Ask questions.",
    "",
    "Setext Heading",
    "--------------",
    "Under setext.",
  ].join("\n");

  it("splits at headings and carries the heading path", async () => {
    const doc = await loadDocument(utf8(markdown), "guide.md");
    expect(doc.format).toBe("markdown");
    expect(doc.title).toBe("Guide");
    expect(doc.sections.map((s) => [s.heading, s.text])).toEqual([
      [undefined, "Intro before any heading."],
      ["Guide", "Welcome."],
      ["Guide > Install > Linux", "Run the installer.\n```sh\n# this is a shell comment, not a heading\n./install.sh\n```"],
      ["Guide > Install > macOS", "Use Homebrew."],
      ["Guide > Usage", "Ask questions."],
      ["Guide > Setext Heading", "Under setext."],
    ]);
    expect(allText(doc)).not.toContain("front matter");
  });

  it("uses the file name when there is no H1", async () => {
    const doc = await loadDocument(utf8("## Only a second level\ntext"), "notes.markdown");
    expect(doc.title).toBe("notes.markdown");
    expect(doc.sections[0]!.heading).toBe("Only a second level");
  });

  it("is empty when only front matter and headings remain", async () => {
    const error = await failure(loadDocument(utf8("---\na: 1\n---\n# Title\n\n## Sub\n"), "empty.md"));
    expect([error.reason, error.code]).toEqual(["empty", "empty_document"]);
  });
});

describe("HTML", () => {
  const html = `<!doctype html><html><head><title>Steam &amp; Power</title>
    <style>body { color: red }</style><script>var hidden = "script text";</script></head>
    <body><nav>Home</nav><noscript>Enable JS</noscript><template><p>template text</p></template>
    <svg><title>icon title</title><text>svg text</text></svg>
    <h1>Steam engines</h1><p>An engine that does   work&nbsp;using steam.<br>Second line.</p><div hidden>hidden div</div>
    <h2>History</h2><p>First used in 1698 &mdash; by Savery.</p><ul><li>one</li><li>two</li></ul>
    <pre>  indented
    code</pre></body></html>`;

  it("keeps visible text only, split at headings", async () => {
    const doc = await loadDocument(utf8(html), "page.html");
    expect(doc.format).toBe("html");
    expect(doc.title).toBe("Steam & Power");
    const text = allText(doc);
    for (const invisible of ["color: red", "script text", "Enable JS", "template text", "icon title", "svg text", "hidden div"]) {
      expect(text).not.toContain(invisible);
    }
    expect(doc.sections.map((s) => [s.heading, s.text])).toEqual([
      [undefined, "Home"],
      ["Steam engines", "An engine that does work using steam.\nSecond line."], // &nbsp; too becomes a plain space
      ["Steam engines > History", "First used in 1698 — by Savery.\n\none\n\ntwo\n\n  indented\n    code"],
    ]);
  });

  it("falls back to the first h1, then the file name, for the title", async () => {
    expect((await loadDocument(utf8("<h1>Heading title</h1><p>x</p>"), "a.htm")).title).toBe("Heading title");
    expect((await loadDocument(utf8("<p>no headings</p>"), "b.HTML")).title).toBe("b.HTML");
  });

  it("decodes a page in its declared charset", async () => {
    const body = readFileSync(FIXTURES + "gbk-sample.txt");
    const bytes = new Uint8Array([...utf8('<html><head><meta charset="gbk"><title>GBK</title></head><body><p>'), ...body, ...utf8("</p></body></html>")]);
    expect(allText(await loadDocument(bytes, "gbk.html"))).toContain("文档问答服务的测试样本");
  });

  it("is empty when nothing is visible", async () => {
    const error = await failure(loadDocument(utf8("<html><head><title>t</title><script>x()</script></head><body> </body></html>"), "e.html"));
    expect(error.reason).toBe("empty");
  });
});

describe("plain text", () => {
  it("decodes GBK-encoded Chinese (fixture written as GBK)", async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURES + "gbk-sample.txt"));
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toThrow(); // really not UTF-8
    const doc = await loadDocument(bytes, "gbk-sample.txt");
    expect(doc).toMatchObject({ format: "text", title: "gbk-sample.txt" });
    expect(doc.sections[0]!.text).toMatch(/^文档问答服务的测试样本\n\n这是一段用简体中文写成的短文，保存为 GBK 编码/);
    expect(doc.sections[0]!.text).not.toContain("\r");
  });

  it("decodes UTF-16 LE and BE by their byte-order mark", async () => {
    const text = "Héllo, 世界 😀";
    const units = [...text].flatMap((c) => (c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]));
    const le = new Uint8Array([0xff, 0xfe, ...units.flatMap((u) => [u & 0xff, u >> 8])]);
    const be = new Uint8Array([0xfe, 0xff, ...units.flatMap((u) => [u >> 8, u & 0xff])]);
    expect((await loadDocument(le, "le.txt")).sections[0]!.text).toBe(text);
    expect((await loadDocument(be, "be.text")).sections[0]!.text).toBe(text);
  });

  it("strips a UTF-8 BOM", async () => {
    const doc = await loadDocument(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("plain")]), "bom.txt");
    expect(doc.sections[0]!.text).toBe("plain");
  });

  it("rejects bytes that are not UTF-8, UTF-16 or GB18030 Chinese", async () => {
    const latin1 = new Uint8Array([...utf8("caf"), 0xe9, ...utf8(" au lait")]);
    const error = await failure(loadDocument(latin1, "latin1.txt"));
    expect([error.reason, error.code, error.status]).toEqual(["undecodable", "undecodable_text", 422]);
    expect(error.message).toBe("could not decode text: not UTF-8, UTF-16 or GBK/GB18030");
    // Binary decodes as GB18030 without error, but is not plausible Chinese.
    const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xb0, 0xa1, 0x00, 0x01]);
    expect((await failure(loadDocument(binary, "image.txt"))).reason).toBe("undecodable");
  });

  it("rejects empty and whitespace-only files", async () => {
    for (const [bytes, name] of [
      [new Uint8Array(), "a.txt"],
      [utf8(" \n\t\r\n "), "b.txt"],
      [new Uint8Array(), "c.pdf"],
      [utf8("\n\n"), "d.md"],
    ] as const) {
      const error = await failure(loadDocument(bytes, name));
      expect([error.reason, error.status, error.code]).toEqual(["empty", 422, "empty_document"]);
    }
  });
});

describe("dispatch", () => {
  it("detects the format from the extension", () => {
    expect(["a.pdf", "b.MD", "c.markdown", "d.html", "e.htm", "f.txt", "g.text", "h.docx", "README", "archive.tar.gz"].map(detectFormat)).toEqual([
      "pdf",
      "markdown",
      "markdown",
      "html",
      "html",
      "text",
      "text",
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("rejects unsupported types with 415, listing the supported ones", async () => {
    const error = await failure(loadDocument(utf8("PK..."), "report.docx"));
    expect([error.reason, error.status, error.code]).toEqual(["unsupported", 415, "unsupported_type"]);
    expect(error.message).toMatch(/report\.docx/);
    expect(error.message).toMatch(/\.pdf, \.md, \.markdown, \.html, \.htm, \.txt, \.text/);
  });
});
