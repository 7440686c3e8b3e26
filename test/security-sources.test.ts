import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentId } from "../ingest/identity.js";
import { ingestFiles } from "../ingest/pipeline.js";
import { ingestSettings } from "../ingest/settings.js";
import { MAX_NAME_LENGTH, cleanName, cleanRelativePath, uploadName } from "../src/source-name.js";
import { openLanceStore } from "../src/store/lance-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { embeddingRequests, ingestEnv, parseSummary, runIngest } from "./helpers/ingest-cli.js";
import { E5, tempDir } from "./helpers/ingest-data.js";

/**
 * Sources never expose server paths: the ingest command stores them relative to its root
 * (a folder argument, a file argument's directory, a glob's fixed folders), with names
 * cleaned of control and bidi characters; a collection built when sources were absolute
 * keeps its document ids, so re-running the ingest replaces its documents, never duplicates.
 */
const FIXTURES = path.resolve(import.meta.dirname, "fixtures/ingest");
let fake: FakeProvider;
let root: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  root = await tempDir("sources");
});
afterAll(async () => {
  await fake?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function storedDocuments(uri: string, collection = "default") {
  const store = await openLanceStore({ uri });
  try {
    return (await (await store.openExistingCollection(collection)).listDocuments()).map((d) => ({ id: d.documentId, source: d.source })).sort((a, b) => a.source.localeCompare(b.source));
  } finally {
    await store.close();
  }
}

describe("names", () => {
  it("removes control and bidi characters, and keeps the extension when shortening", () => {
    expect(cleanName("evil\u202egpj.md")).toBe("evilgpj.md");
    expect(cleanName("a\u2066b\u2069c\u200f.txt")).toBe("abc.txt");
    expect(cleanName("line\nfeed\t.md")).toBe("linefeed.md");
    const long = cleanName(`${"文".repeat(400)}.markdown`);
    expect([...long]).toHaveLength(MAX_NAME_LENGTH);
    expect(long.endsWith(".markdown")).toBe(true);
    expect(uploadName("C:\\Users\\me\\notes.md")).toBe("notes.md");
    expect(cleanRelativePath("sub/./evil\u202e/x.md")).toBe("sub/evil/x.md");
  });
});

describe("the ingest command stores relative sources", () => {
  it("relative to a folder argument, a file argument's directory, and a glob's fixed folders", async () => {
    const docs = path.join(root, "docs");
    await mkdir(path.join(docs, "sub"), { recursive: true });
    await copyFile(path.join(FIXTURES, "tide-pools.md"), path.join(docs, "sub", "tide-pools.md"));
    await copyFile(path.join(FIXTURES, "lighthouse.html"), path.join(docs, "lighthouse.html"));
    await writeFile(path.join(docs, "evil\u202egpj.md"), "# Bidi\n\nA name that displays reversed.\n");

    const folder = path.join(root, "db-folder");
    expect((await runIngest([docs], ingestEnv(fake, folder))).code).toBe(0);
    expect((await storedDocuments(folder)).map((d) => d.source)).toEqual(["evilgpj.md", "lighthouse.html", "sub/tide-pools.md"]);

    const file = path.join(root, "db-file");
    expect((await runIngest([path.join(docs, "sub", "tide-pools.md")], ingestEnv(fake, file))).code).toBe(0);
    expect((await storedDocuments(file)).map((d) => d.source)).toEqual(["tide-pools.md"]);

    const glob = path.join(root, "db-glob");
    const run = await runIngest([`${path.relative(process.cwd(), docs)}/sub/*.md`], ingestEnv(fake, glob));
    expect(run.code, run.stderr).toBe(0);
    expect((await storedDocuments(glob)).map((d) => d.source)).toEqual(["tide-pools.md"]);

    // Output names files the same way: nothing absolute reaches a client or a log either.
    for (const uri of [folder, file, glob]) for (const d of await storedDocuments(uri)) expect(path.isAbsolute(d.source)).toBe(false);
  }, 180_000);

  it("a collection built with absolute sources keeps its ids: re-running rewrites each document once, never duplicates it", async () => {
    const docs = path.join(root, "legacy-docs");
    await mkdir(docs, { recursive: true });
    const names = ["tide-pools.md", "lighthouse.html"];
    for (const name of names) await copyFile(path.join(FIXTURES, name), path.join(docs, name));
    const uri = path.join(root, "db-legacy");

    // What earlier versions wrote: the absolute path as source and as identity.
    const settings = ingestSettings(E5);
    const store = await openLanceStore({ uri });
    const collection = await store.openCollection("default", { embedModel: E5.id, dims: E5.dims });
    await ingestFiles(
      names.map((name) => {
        const absolute = path.join(docs, name);
        return { source: absolute, size: 1, read: async () => new Uint8Array(await readFile(absolute)) };
      }),
      { collectionName: "default", collection, embedder: undefined, chunkOptions: settings.chunkOptions, settingsKey: settings.settingsKey },
    );
    await store.close();
    const legacy = await storedDocuments(uri);
    expect(legacy.map((d) => d.source)).toEqual(names.map((n) => path.join(docs, n)).sort());

    const first = await runIngest([docs], ingestEnv(fake, uri));
    expect(first.code, first.stderr).toBe(0);
    expect(parseSummary(first.stdout)).toMatchObject({ ingested: 2, unchanged: 0 });
    const migrated = await storedDocuments(uri);
    expect(migrated.map((d) => d.source)).toEqual([...names].sort());
    expect(migrated.map((d) => d.id).sort()).toEqual(legacy.map((d) => d.id).sort());
    expect(migrated.map((d) => d.id).sort()).toEqual((await Promise.all(names.map((n) => documentId("default", path.join(docs, n))))).sort());

    const mark = embeddingRequests(fake).length;
    const again = await runIngest([docs], ingestEnv(fake, uri));
    expect(parseSummary(again.stdout)).toMatchObject({ ingested: 0, unchanged: 2 });
    expect(embeddingRequests(fake).length).toBe(mark);
    expect(await storedDocuments(uri)).toEqual(migrated);
  }, 180_000);
});
