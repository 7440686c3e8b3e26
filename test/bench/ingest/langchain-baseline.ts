/**
 * The LangChain.js baseline of issue 9: its documented default pipeline (files read as
 * Documents, PDFs through PDFLoader, RecursiveCharacterTextSplitter 1000/200,
 * OpenAIEmbeddings at batch 64, `LanceDB.fromDocuments`), installed on demand into a
 * folder of its own (not a dependency of askdocs) with versions that run on Node 20, and
 * run as a child process against the same fake provider.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runMeasured } from "./peak-rss.js";

export const BASELINE_DIR = path.join(tmpdir(), "askdocs-langchain-baseline");

const PACKAGE = {
  name: "askdocs-langchain-baseline",
  private: true,
  type: "module",
  dependencies: {
    "@langchain/core": "1.4.0",
    "@langchain/textsplitters": "1.0.2",
    "@langchain/openai": "1.5.8",
    "@langchain/community": "1.1.29",
    "@lancedb/lancedb": "0.19.1",
    // LanceDB's peer, skipped by --legacy-peer-deps.
    "apache-arrow": "18.1.0",
    "pdf-parse": "1.1.1",
  },
  // community's @langchain/classic would resolve to a line that needs openai 7 (Node 22).
  overrides: { "@langchain/classic": "1.0.43" },
};

const SCRIPT = `
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Document } from "@langchain/core/documents";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import { OpenAIEmbeddings } from "@langchain/openai";
import { LanceDB } from "@langchain/community/vectorstores/lancedb";
import { PDFLoader } from "@langchain/community/document_loaders/fs/pdf";

const [dir, uri, baseURL] = process.argv.slice(2);
const started = performance.now();
const docs = [];
// Metadata flattened to source and page: LanceDB cannot infer a column type for PDFLoader's
// null pdf.metadata, and every row needs the same columns.
const doc = (pageContent, source, page) => new Document({ pageContent, metadata: { source, page } });
for (const name of (await readdir(dir)).sort()) {
  const file = path.join(dir, name);
  if (name.endsWith(".pdf")) for (const page of await new PDFLoader(file).load()) docs.push(doc(page.pageContent, file, page.metadata.loc?.pageNumber ?? 0));
  else docs.push(doc(await readFile(file, "utf8"), file, 0));
}
const chunks = await new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 }).splitDocuments(docs);
const embeddings = new OpenAIEmbeddings({ model: "baai/bge-m3", apiKey: "test-key", batchSize: 64, configuration: { baseURL } });
await LanceDB.fromDocuments(chunks, embeddings, { uri, tableName: "vectors" });
console.log(JSON.stringify({ documents: docs.length, chunks: chunks.length, ms: performance.now() - started }));
`;

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (output += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (output += t));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, pid: child.pid! });
    });
  });
}

/** Installs the baseline once (kept between runs); an error says why it could not be. */
export async function ensureBaseline(timeoutMs = 600_000): Promise<void> {
  const manifest = `${JSON.stringify(PACKAGE, null, 2)}\n`;
  const manifestFile = path.join(BASELINE_DIR, "package.json");
  const installed = existsSync(path.join(BASELINE_DIR, "node_modules", "@langchain", "community", "package.json"));
  if (installed && (await readFile(manifestFile, "utf8").catch(() => "")) === manifest) return;
  await mkdir(BASELINE_DIR, { recursive: true });
  await writeFile(manifestFile, manifest);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = await run(npm, ["install", "--no-audit", "--no-fund", "--legacy-peer-deps"], BASELINE_DIR, timeoutMs);
  if (install.code !== 0) throw new Error(`npm install of the LangChain baseline failed (exit ${install.code}):\n${install.output.slice(-2000)}`);
}

export interface BaselineResult {
  documents: number;
  chunks: number;
  wallMs: number;
  peakRss: number | undefined;
}

export async function runBaseline(corpus: string, uri: string, baseURL: string): Promise<BaselineResult> {
  await writeFile(path.join(BASELINE_DIR, "baseline.mjs"), SCRIPT);
  const { code, wallMs, peakRss, output } = await runMeasured(["baseline.mjs", corpus, uri, baseURL], { cwd: BASELINE_DIR });
  const last = output.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{")) throw new Error(`the LangChain baseline failed (exit ${code}):\n${output.slice(-2000)}`);
  const result = JSON.parse(last) as { documents: number; chunks: number };
  return { documents: result.documents, chunks: result.chunks, wallMs, peakRss };
}
