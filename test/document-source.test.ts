/**
 * Originals kept beside the database: an upload keeps its file, `GET …/source` serves it
 * back (text re-encoded as UTF-8, HTML sandboxed), the listing says which documents have
 * one, delete removes it, the ingest command keeps originals too (and `--prune` drops
 * them), and the pipeline backfills documents stored before.
 * Also: the web page and its assets stay public when RAG_API_KEY is set.
 */
import { copyFile, mkdir, readFile, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestFiles } from "../ingest/pipeline.js";
import { ingestSettings } from "../ingest/settings.js";
import type { BlobStore } from "../src/blobs/blob-store.js";
import { blobFolderFor, createFolderBlobStore } from "../src/node/folder-blob-store.js";
import { type Config, loadConfig } from "../src/config.js";
import { createApp } from "../src/http/app.js";
import { silentLogger } from "../src/logger.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { VectorStore } from "../src/store/vector-store.js";
import { startFakeProvider } from "./fake-provider/index.js";
import { ingestEnv, runIngest } from "./helpers/ingest-cli.js";
import { E5 } from "./helpers/ingest-data.js";
import { scratchDir } from "./helpers/retrieval-data.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const settings = ingestSettings(E5);

describe("document originals", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let config: Config;
  let store: VectorStore;
  let blobs: BlobStore;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    ({ dir, remove } = await scratchDir("sources"));
    config = loadConfig({ LANCEDB_URI: path.join(dir, "db"), SAMPLE_DOCS: "" });
    store = await openLanceStore({ uri: config.LANCEDB_URI });
    blobs = createFolderBlobStore(blobFolderFor(config.LANCEDB_URI));
    app = createApp(createRuntime({ config, store, logger: silentLogger, blobs }));
  });
  afterAll(async () => {
    await store?.close();
    await remove?.();
  });

  const upload = (name: string, bytes: Uint8Array, collection = "docs") => {
    const form = new FormData();
    form.append("collection", collection);
    form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], name));
    return app.request("/v1/documents", { method: "POST", body: form });
  };

  it("keeps an uploaded PDF and serves the same bytes back, with its page count in the listing", async () => {
    const pdf = new Uint8Array(await readFile(path.join(FIXTURES, "pdfs", "004-pdflatex-4-pages_pdflatex-4-pages.pdf")));
    const created = await upload("four-pages.pdf", pdf);
    expect(created.status).toBe(201);
    const { document_id } = (await created.json()) as { document_id: string };

    const source = await app.request(`/v1/documents/${document_id}/source?collection=docs`);
    expect(source.status).toBe(200);
    expect(source.headers.get("content-type")).toBe("application/pdf");
    expect(source.headers.get("content-security-policy")).toBe("sandbox");
    expect(source.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''four-pages.pdf");
    expect(new Uint8Array(await source.arrayBuffer())).toEqual(pdf);

    const listed = (await (await app.request("/v1/documents?collection=docs")).json()) as { data: { document_id: string; pages: number | null; original: boolean }[] };
    expect(listed.data.find((d) => d.document_id === document_id)).toMatchObject({ pages: 4, original: true });
    // On disk: beside the database, one folder per collection.
    expect((await readdir(path.join(`${config.LANCEDB_URI}-files`, "docs"))).sort()).toEqual([`${document_id}.bin`, `${document_id}.json`]);
  });

  it("serves a GBK text file with its charset and an HTML file sandboxed", async () => {
    const gbk = new Uint8Array(await readFile(path.join(FIXTURES, "gbk-sample.txt")));
    const text = (await (await upload("gbk-sample.txt", gbk)).json()) as { document_id: string };
    const served = await app.request(`/v1/documents/${text.document_id}/source?collection=docs`);
    expect(served.headers.get("content-type")).toBe("text/plain; charset=gb18030");
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(bytes).toEqual(gbk); // the original bytes
    expect(new TextDecoder("gb18030").decode(bytes)).toMatch(/[\u4e00-\u9fff]{4}/);

    const html = new TextEncoder().encode("<html><body><h1>Lamp</h1><script>alert(1)</script><p>The lamp turns every ten seconds.</p></body></html>");
    const page = (await (await upload("lamp.html", html)).json()) as { document_id: string };
    const servedHtml = await app.request(`/v1/documents/${page.document_id}/source?collection=docs`);
    expect(servedHtml.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(servedHtml.headers.get("content-security-policy")).toBe("sandbox");
    expect(servedHtml.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("deletes the original with its document; unknown ids and bad ids are 404 and 400", async () => {
    const md = new TextEncoder().encode("# Gone soon\n\nThis note will be deleted.");
    const { document_id } = (await (await upload("gone.md", md)).json()) as { document_id: string };
    expect((await app.request(`/v1/documents/${document_id}?collection=docs`, { method: "DELETE" })).status).toBe(200);
    const after = await app.request(`/v1/documents/${document_id}/source?collection=docs`);
    expect(after.status).toBe(404);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/No original file kept for document/);
    const bad = await app.request("/v1/documents/..%2F..%2Fetc/source?collection=docs");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/id/);
    expect((await app.request(`/v1/documents/${document_id}/source?collection=no_such`)).status).toBe(404);
  });

  it("the pipeline keeps originals of documents stored before originals were kept, when they come by unchanged", async () => {
    const bytes = new TextEncoder().encode("# Old note\n\nStored before askdocs kept originals.");
    const file = { source: "/notes/old.md", size: bytes.length, read: async () => bytes };
    const collection = await store.openCollection("older", { embedModel: config.EMBED_MODEL, dims: settings.dims });
    const options = { collectionName: "older", collection, embedder: undefined, chunkOptions: settings.chunkOptions, settingsKey: settings.settingsKey };
    const first = await ingestFiles([file], options);
    const id = first.files[0]!.documentId!;
    expect(await blobs.head("older", id)).toBeUndefined();
    const again = await ingestFiles([file], { ...options, blobs });
    expect(again.files[0]!.status).toBe("unchanged");
    expect((await blobs.get("older", id))?.bytes).toEqual(bytes);
  });

  it("the ingest command keeps originals beside the database, and --prune removes them", async () => {
    const fake = await startFakeProvider({ flavor: "nim" });
    try {
      const folder = path.join(dir, "to-ingest");
      await mkdir(folder, { recursive: true });
      await copyFile(path.join(FIXTURES, "pdfs", "004-pdflatex-4-pages_pdflatex-4-pages.pdf"), path.join(folder, "four-pages.pdf"));
      await copyFile(path.join(FIXTURES, "web", "harbour-notes.md"), path.join(folder, "harbour-notes.md"));
      const uri = path.join(dir, "cli-db");
      const env = ingestEnv(fake, uri);
      const first = await runIngest([folder, "--collection", "cli"], env);
      expect(first.code, first.stderr).toBe(0);
      const kept = createFolderBlobStore(blobFolderFor(uri));
      const cliStore = await openLanceStore({ uri });
      const docs = await (await cliStore.openExistingCollection("cli")).listDocuments();
      await cliStore.close();
      expect(docs).toHaveLength(2);
      for (const doc of docs) {
        const blob = await kept.get("cli", doc.documentId);
        // Sources are relative to the folder the command was given.
        expect(blob?.bytes).toEqual(new Uint8Array(await readFile(path.join(folder, doc.source))));
        expect(blob?.meta.name).toBe(doc.source);
      }
      const md = docs.find((d) => d.source.endsWith(".md"))!;
      expect((await kept.head("cli", md.documentId))?.contentType).toBe("text/markdown");
      expect((await kept.head("cli", docs.find((d) => d !== md)!.documentId))?.pages).toBe(4);

      await unlink(path.join(folder, md.source));
      const pruned = await runIngest([folder, "--collection", "cli", "--prune"], env);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(await kept.head("cli", md.documentId)).toBeUndefined();
      expect(await kept.head("cli", docs.find((d) => d !== md)!.documentId)).toBeDefined();
    } finally {
      await fake.close();
    }
  }, 120_000);

  it("with RAG_API_KEY the page and its assets are public, the API and the sources are not", async () => {
    const locked = createApp(createRuntime({ config: { ...config, RAG_API_KEY: "k" }, store, logger: silentLogger, blobs }));
    const page = await locked.request("/", { headers: { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/^<!doctype html><html lang="zh-CN">/);
    expect(html).toContain("提问");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await locked.request(asset);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect((await locked.request(asset, { headers: { "if-none-match": response.headers.get("etag")! } })).status).toBe(304);
    }
    expect((await locked.request("/v1/collections")).status).toBe(401);
    expect((await locked.request("/v1/documents/0123456789abcdef0123456789abcdef/source")).status).toBe(401);
    expect((await app.request("/", { headers: { "accept-language": "en-GB" } })).headers.get("content-type")).toMatch(/^text\/html/);
  });
});
