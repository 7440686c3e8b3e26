import { readFile, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { loadConfig } from "../../src/config.js";
import type { z } from "zod";
import { createApp } from "../../src/http/app.js";
import type { citationSchema } from "../../src/http/openapi/responses.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { openLanceStore } from "../../src/store/lance-store.js";
import { type FakeProvider, startFakeProvider } from "../fake-provider/index.js";
import { tempDir } from "./ingest-data.js";
import { childEnv, until } from "./server.js";

/**
 * The HTTP app over a real LanceDB in a temp folder, served on 127.0.0.1 port 0, with the
 * fake NIM on loopback: what the compatible-API tests point the real clients at. Two
 * collections from files in the repository: `default` (data/samples: tides, tea, the
 * askdocs guide) and `shore` (test/fixtures/ingest: tide pools, a lighthouse page).
 */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const API_KEY = "rag-key-compat-tests";
const NIM_KEY = "nvapi-compat-SECRET-51c2";

export interface CompatServer {
  url: string;
  rt: Runtime;
  fake: FakeProvider;
  lancedb: string;
  /** The environment for a child process (the MCP stdio server) over the same LanceDB and fake provider. */
  childEnv(): Record<string, string>;
  /** askdocs's own `/v1/ask`, with the key: the reference every door is compared with. */
  ask(body: object): Promise<AskResult>;
  close(): Promise<void>;
}

/** A `/v1/ask` citation, as the OpenAPI document describes it. */
export type Citation = z.output<typeof citationSchema>;

export interface AskResult {
  answer: string;
  citations: Citation[];
  reasoning?: string;
  model: string | null;
}

async function files(dir: string, names: string[]) {
  return Promise.all(
    names.map(async (name) => {
      const bytes = new Uint8Array(await readFile(path.join(dir, name)));
      return { source: name, size: bytes.byteLength, read: async () => bytes };
    }),
  );
}

export async function startCompatServer(env: Record<string, string> = {}): Promise<CompatServer> {
  const fake = await startFakeProvider({ flavor: "nim", apiKey: NIM_KEY });
  const root = await tempDir("compat");
  const lancedb = path.join(root, "lancedb");
  const config = loadConfig({ NVIDIA_API_KEY: NIM_KEY, NIM_BASE_URL: fake.url, NVCF_STATUS_URL: fake.statusUrl, NIM_RPM: "100000", LANCEDB_URI: lancedb, RAG_API_KEY: API_KEY, SAMPLE_DOCS: "", ...env });
  const store = await openLanceStore({ uri: lancedb });
  const rt = createRuntime({ config, store });
  const samples = path.join(REPO, "data/samples");
  const corpora = {
    default: await files(
      samples,
      (await readdir(samples)).filter((n) => n.endsWith(".md")),
    ),
    shore: await files(path.join(REPO, "test/fixtures/ingest"), ["tide-pools.md", "lighthouse.html"]),
  };
  for (const [name, sources] of Object.entries(corpora)) {
    const collection = await store.openCollection(name, { embedModel: config.EMBED_MODEL, dims: rt.ingest.dims });
    const report = await rt.ingest.ingest(name, collection, sources);
    const failed = report.files.filter((f) => f.status !== "ingested");
    if (failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(failed)}`);
  }
  fake.reset();

  const app = createApp(rt);
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    rt,
    fake,
    lancedb,
    childEnv: () => childEnv(fake, lancedb, { NVIDIA_API_KEY: NIM_KEY }),
    async ask(body) {
      const response = await fetch(`${url}/v1/ask`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`/v1/ask answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as AskResult;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of the clients under test would hold close() open.
        (server as import("node:http").Server).closeAllConnections();
      });
      await rt.close();
      await fake.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The sources list a chat door appends: `\n\nSources:\n[n] …` lines, one per cited passage, in order. */
export function splitSources(text: string): { answer: string; listed: number[] } {
  const at = text.lastIndexOf("\n\nSources:\n");
  if (at === -1) return { answer: text, listed: [] };
  const lines = text.slice(at + "\n\nSources:\n".length).split("\n");
  return { answer: text.slice(0, at), listed: lines.map((line) => Number(/^\[(\d+)\] \S/.exec(line)?.[1] ?? Number.NaN)) };
}

/**
 * With the fake streaming slowly (~15 chunks x 100 ms), `readSome` starts a streamed answer
 * with the given signal and returns after its first text; once aborted, the fake must see the
 * upstream chat request disconnected well before the answer would have ended.
 */
export async function expectUpstreamCancelled(server: CompatServer, readSome: (signal: AbortSignal) => Promise<void>): Promise<void> {
  server.fake.set({ streamChunkDelayMs: 100 });
  try {
    const mark = server.fake.requests.length;
    const controller = new AbortController();
    await readSome(controller.signal);
    controller.abort();
    const upstream = server.fake.requests.slice(mark).filter((r) => r.path.endsWith("/chat/completions"));
    if (upstream.length !== 1) throw new Error(`expected one upstream chat request, saw ${upstream.length}`);
    await until(() => upstream[0]!.disconnected === true, "the fake to see the upstream request disconnected", 1000);
  } finally {
    server.fake.set({ streamChunkDelayMs: 0 });
  }
}
