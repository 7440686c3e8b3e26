import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadError, type LoadedDocument, loadDocument } from "../ingest/loaders/index.js";
import { createCMapFiles } from "../ingest/node/cmap-files.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { ingestEnv, runIngest } from "./helpers/ingest-cli.js";
import { tempDir } from "./helpers/ingest-data.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";

/**
 * PDFs that poppler's pdftotext reads and a plain pdf.js reader does not: Chinese text in
 * non-embedded CID fonts with predefined CMaps, and files damaged after they were written
 * (test/fixtures/hard-pdfs, made by make-hard-pdfs.ts there; see its README.md).
 */
const HARD = fileURLToPath(new URL("./fixtures/hard-pdfs/", import.meta.url));
const hard = async (name: string) => new Uint8Array(await readFile(HARD + name));
/** The sentences make-hard-pdfs.ts writes in STSong-Light. */
const UCS2_SENTENCE = "潮汐表显示明天早上七点涨潮。";
const GBK_SENTENCE = "灯塔看守人每晚点亮航标灯。";
const line = (n: number, topic: string, metres: number) => `Line ${n} of the ${topic} notes: the keeper logged the tide at ${metres} metres.`;
/** The full text of a fixture page: twelve lines about `topic` (one text block: pdf.js reports no line ends in it). */
const page = (topic: string, lines = 12) => Array.from({ length: lines }, (_, i) => line(i + 1, topic, 6 + (i % 6))).join(" ");
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("should have failed"),
    (error: unknown) => error as LoadError,
  );
const pageText = (doc: LoadedDocument, n: number) => doc.sections.filter((s) => s.page === n && s.heading === undefined).map((s) => s.text);

describe("Chinese text in CID fonts that are not embedded", () => {
  it.each([
    ["cid-unigb-ucs2.pdf", UCS2_SENTENCE],
    ["cid-gbk-euc.pdf", GBK_SENTENCE],
  ])("reads %s with the predefined CMaps from pdfjs-dist", async (name, sentence) => {
    const doc = await loadDocument(await hard(name), name, { cMaps: createCMapFiles() });
    expect(doc.sections).toEqual([{ page: 1, text: sentence }]);
    expect(doc.warnings).toBeUndefined();
  });

  it("without CMaps (the Worker) fails as no_text, naming the CMap and the Node runtime, instead of indexing nothing silently", async () => {
    const error = await failure(loadDocument(await hard("cid-unigb-ucs2.pdf"), "cid.pdf"));
    expect(error).toBeInstanceOf(LoadError);
    expect(error.reason).toBe("no_text");
    expect(error.message).toMatch(/predefined CMaps \(UniGB-UCS2-H\).*Node runtime/);
  });

  it("without CMaps, indexes a page's other text and warns of what was left out", async () => {
    const bare = await loadDocument(await hard("cid-with-latin.pdf"), "mixed.pdf");
    expect(bare.sections).toEqual([{ page: 1, text: "Tide table, spring 2026" }]);
    expect(bare.warnings).toEqual([expect.stringMatching(/^Chinese, Japanese or Korean text was not read: .*\(UniGB-UCS2-H\)/)]);
    const full = await loadDocument(await hard("cid-with-latin.pdf"), "mixed.pdf", { cMaps: createCMapFiles() });
    expect(full.sections).toEqual([{ page: 1, text: `Tide table, spring 2026 ${UCS2_SENTENCE}` }]);
    expect(full.warnings).toBeUndefined();
  });

  it("reads only CMap names, never a path", async () => {
    await expect(createCMapFiles().read("../package")).rejects.toThrow(/not a CMap name/);
  });
});

describe("damaged PDFs that poppler reads", () => {
  it("a cross-reference entry with another generation than its object (a page's content stream): the page is read", async () => {
    const doc = await loadDocument(await hard("xref-generation.pdf"), "xref.pdf");
    expect(pageText(doc, 1)).toEqual([page("harbour")]);
    expect(pageText(doc, 2)).toEqual([page("lighthouse")]);
    expect(doc.warnings).toEqual([expect.stringMatching(/cross-reference entries of objects 7 did not match/)]);
  });

  it("a Pages tree whose Kids point back at the root: the page after the loop is read", async () => {
    const doc = await loadDocument(await hard("circular-pages.pdf"), "loop.pdf");
    expect(doc.pages).toBe(2);
    expect(pageText(doc, 1)).toEqual([page("harbour")]);
    expect(pageText(doc, 2)).toEqual([page("lighthouse")]);
    expect(doc.warnings).toEqual(["the Pages tree was rebuilt (a loop skipped): its 2 pages were read"]);
  });

  it("a page named with the wrong generation in the Pages tree (6 1 R for 6 0 obj): taken at its object's generation", async () => {
    const doc = await loadDocument(await hard("kid-generation.pdf"), "kid.pdf");
    expect(pageText(doc, 2)).toEqual([page("lighthouse")]);
    expect(doc.warnings).toEqual(["the Pages tree was rebuilt (kid 6 1 R taken as 6 0 obj): its 2 pages were read"]);
  });

  it("a content stream with a bad zlib header: inflated anyway", async () => {
    const doc = await loadDocument(await hard("flate-bad-header.pdf"), "header.pdf");
    expect(pageText(doc, 2)).toEqual([page("lighthouse")]);
    expect(doc.warnings).toEqual([expect.stringMatching(/object 7: a damaged Flate stream was read up to its error \(bad zlib header\)/)]);
  });

  it("a truncated content stream: the page's text up to the damage, as pdftotext gives it", async () => {
    const doc = await loadDocument(await hard("flate-truncated.pdf"), "truncated.pdf");
    expect(pageText(doc, 1)).toEqual([page("harbour")]);
    const [text] = pageText(doc, 2);
    expect(text).toMatch(new RegExp(`^${page("lighthouse", 8).replace(/\./g, "\\.")}`));
    expect(text).not.toContain("Line 12");
    expect(doc.warnings).toEqual([expect.stringMatching(/object 7: .*unexpected end of file/)]);
  });

  it("a bad Adler-32 checksum needs no repair: pdf.js does not check it", async () => {
    const doc = await loadDocument(await hard("flate-bad-checksum.pdf"), "checksum.pdf");
    expect(pageText(doc, 2)).toEqual([page("lighthouse")]);
    expect(doc.warnings).toBeUndefined();
  });

  it("a page nothing can read is skipped with a warning naming it; the other pages are kept", async () => {
    const doc = await loadDocument(await hard("unreadable-page.pdf"), "unreadable.pdf");
    expect(doc.sections).toEqual([{ page: 1, text: page("harbour") }]);
    expect(doc.warnings).toEqual(["page 2 could not be read and was skipped: Unknown block type in flate stream"]);
  });

  it("a file none of whose pages can be read fails alone as corrupt, with the first page's reason", async () => {
    const error = await failure(loadDocument(await hard("no-readable-page.pdf"), "none.pdf"));
    expect([error.reason, error.code, error.status]).toEqual(["corrupt", "corrupt_file", 422]);
    expect(error.message).toBe("corrupt PDF: no page could be read (page 1: Unknown block type in flate stream)");
  });

  it("a file with nothing to recover still fails alone as corrupt, with pdf.js's reason", async () => {
    const bytes = new TextEncoder().encode("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    const error = await failure(loadDocument(bytes, "broken.pdf"));
    expect([error.reason, error.code]).toEqual(["corrupt", "corrupt_file"]);
    expect(error.message).toMatch(/^corrupt PDF: ./);
  });
});

describe("these PDFs through the server and the ingest command (parsed in worker threads)", () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
    dir = await tempDir("pdf-recovery");
    server = await startServer(childEnv(fake, `${dir}/db`));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (name: string) => {
    const form = new FormData();
    form.set("file", new File([await hard(name)], name, { type: "application/pdf" }));
    const response = await fetch(`${server.url}/v1/documents`, { method: "POST", body: form });
    return { status: response.status, body: (await response.json()) as { chunks?: number; warnings?: string[] } };
  };
  const search = async (query: string, mode: "keyword" | "hybrid") => {
    const response = await fetch(`${server.url}/v1/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, collection: "default", mode }) });
    return ((await response.json()) as { results: { source: string; page: number; text: string }[] }).results;
  };

  it("ingests the Chinese CID-font PDFs, and keyword and hybrid search find their sentences", async () => {
    expect(await upload("cid-unigb-ucs2.pdf")).toEqual({ status: 201, body: expect.objectContaining({ chunks: 1 }) });
    expect(await upload("cid-gbk-euc.pdf")).toEqual({ status: 201, body: expect.objectContaining({ chunks: 1 }) });
    for (const mode of ["keyword", "hybrid"] as const) {
      expect((await search("明天早上涨潮", mode))[0]).toMatchObject({ source: "cid-unigb-ucs2.pdf", page: 1, text: UCS2_SENTENCE });
      expect((await search("灯塔看守人", mode))[0]).toMatchObject({ source: "cid-gbk-euc.pdf", page: 1, text: GBK_SENTENCE });
    }
  }, 60_000);

  it("ingests a repaired PDF and says what was repaired", async () => {
    const { status, body } = await upload("flate-bad-header.pdf");
    expect(status).toBe(201);
    expect(body.warnings).toEqual([expect.stringMatching(/bad zlib header/)]);
    const [hit] = await search("lighthouse notes", "keyword");
    expect(hit).toMatchObject({ source: "flate-bad-header.pdf" });
    expect(hit!.text).toContain(line(12, "lighthouse", 11));
  }, 60_000);

  it("the ingest command reads the whole folder: each damaged file's warnings logged, the unreadable one failed alone", async () => {
    const run = await runIngest([HARD], ingestEnv(fake, `${dir}/command-db`));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^warning flate-truncated\.pdf: object 7: a damaged Flate stream was read up to its error/m);
    expect(run.stderr).toMatch(/^warning unreadable-page\.pdf: page 2 could not be read and was skipped/m);
    expect(run.stderr).toMatch(/^failed no-readable-page\.pdf: corrupt PDF: no page could be read/m);
    expect(run.stdout).toMatch(/files: 11 ingested, 0 unchanged, 1 skipped, 1 failed/);
  }, 90_000);
});
