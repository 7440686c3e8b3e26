/**
 * `npm run ingest -- <paths> --remote URL` against a real askdocs server (src/node.ts in
 * a child process, LanceDB in a temp folder, the fake NIM provider): relative sources
 * keep same-named files apart, unchanged files are skipped without an upload, changed
 * ones replace their document, --prune removes deleted files, a wrong key stops the run
 * with exit code 1 and is never printed.
 */
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { parseSummary, runIngest } from "./helpers/ingest-cli.js";
import { childEnv, type RunningServer, startServer } from "./helpers/server.js";

const KEY = "remote-ingest-key-4711";

describe("ingest --remote", () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let dir: string;
  let files: string;
  const env = (key = KEY) => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", RAG_API_KEY: key });
  const uploads = () => server.log.split("\n").filter((l) => / method=POST path=\/v1\/documents status=20[01] /.test(l)).length;
  const list = async () => {
    const response = await fetch(`${server.url}/v1/documents?collection=docs`, { headers: { authorization: `Bearer ${KEY}` } });
    return ((await response.json()) as { data: { source: string; chunks: number }[] }).data.map((d) => d.source);
  };

  beforeAll(async () => {
    fake = await startFakeProvider({ flavor: "nim" });
    dir = await mkdtemp(path.join(tmpdir(), "askdocs-remote-"));
    server = await startServer(childEnv(fake, path.join(dir, "db"), { RAG_API_KEY: KEY }));
    files = path.join(dir, "files");
    await mkdir(path.join(files, "a"), { recursive: true });
    await mkdir(path.join(files, "b"), { recursive: true });
    await writeFile(path.join(files, "a/README.md"), "# Tides\n\nTide pools form where the sea retreats at low tide.\n");
    await writeFile(path.join(files, "b/README.md"), "# Lighthouse\n\nThe keeper lit the lamp at dusk every evening.\n");
    await writeFile(path.join(files, "b/report.docx"), "PK\u0003\u0004");
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("uploads each file with its relative path as source: same-named files stay two documents", async () => {
    const run = await runIngest([".", "--remote", server.url, "--collection", "docs"], env(), 60_000, files);
    expect(run.code, run.stderr).toBe(0);
    expect(parseSummary(run.stdout)).toMatchObject({ ingested: 2, unchanged: 0, skipped: 1, failed: 0 });
    expect(run.stdout).toMatch(/skipped .*report\.docx: unsupported type/);
    expect(await list()).toEqual(["a/README.md", "b/README.md"]);
    expect(uploads()).toBe(2);
  });

  it("skips unchanged files without uploading them, replaces a changed one", async () => {
    const again = await runIngest([".", "--remote", server.url, "--collection", "docs"], env(), 60_000, files);
    expect(again.code, again.stderr).toBe(0);
    expect(parseSummary(again.stdout)).toMatchObject({ ingested: 0, unchanged: 2 });
    expect(uploads()).toBe(2);

    await writeFile(path.join(files, "a/README.md"), "# Tides\n\nRock pools hold small fish and anemones.\n");
    const changed = await runIngest([".", "--remote", server.url, "--collection", "docs"], env(), 60_000, files);
    expect(parseSummary(changed.stdout)).toMatchObject({ ingested: 1, unchanged: 1 });
    expect(uploads()).toBe(3);
    expect(await list()).toEqual(["a/README.md", "b/README.md"]);
  });

  it("--prune deletes documents whose file is gone", async () => {
    await unlink(path.join(files, "b/README.md"));
    const run = await runIngest([".", "--remote", server.url, "--collection", "docs", "--prune"], env(), 60_000, files);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^pruned b\/README\.md$/m);
    expect(await list()).toEqual(["a/README.md"]);
  });

  it("stops at a wrong key with exit code 1 and a reason, never printing either key", async () => {
    const run = await runIngest([".", "--remote", server.url, "--collection", "docs"], env("wrong-key-123"), 60_000, files);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/stopped early: .*refused the key \(HTTP 401\).*RAG_API_KEY/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/wrong-key-123|remote-ingest-key-4711/);
  });

  it("exits 2 for a --remote that is not a URL", async () => {
    const run = await runIngest([".", "--remote", "askdocs.example"], env(), 60_000, files);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Invalid --remote/);
  });
});
