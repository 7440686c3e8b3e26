/**
 * The HTTP contract suite (http-contract.ts) against the Node entry's app: the same Hono
 * app `src/node.ts` serves, from the same runtime factory, over LanceDB in a temp folder,
 * with the fake NIM provider on loopback. (api.test.ts runs the server process itself.)
 * The Worker runs the same suite in test/worker/http-contract.test.ts.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { loadConfig } from "../src/config.js";
import { createApp } from "../src/http/app.js";
import { createRuntime } from "../src/runtime/create-runtime.js";
import { openLanceStore } from "../src/store/lance-store.js";
import type { VectorStore } from "../src/store/vector-store.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { describeHttpContract } from "./http-contract.js";

const PDFS = new URL("./fixtures/pdfs/", import.meta.url);
const pdf = async (name: string) => new Uint8Array(await readFile(new URL(name, PDFS)));
let fake: FakeProvider | undefined;
let store: VectorStore | undefined;
let dir: string | undefined;

afterAll(async () => {
  await store?.close();
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeHttpContract("the Node app (LanceDB)", async () => {
  fake = await startFakeProvider({ flavor: "nim" });
  dir = await mkdtemp(path.join(tmpdir(), "askdocs-http-contract-"));
  const lance = await openLanceStore({ uri: path.join(dir, "db") });
  store = lance;
  const base = { NVIDIA_API_KEY: "test-key", NIM_BASE_URL: fake.url, NVCF_STATUS_URL: fake.statusUrl, NIM_RPM: "100000", PROVIDER_MAX_RETRIES: "1", MAX_UPLOAD_MB: "1", SAMPLE_DOCS: "", ALLOWED_HOSTS: "askdocs.test" };
  return {
    pdfs: { fourPages: await pdf("004-pdflatex-4-pages_pdflatex-4-pages.pdf"), encrypted: await pdf("005-libreoffice-writer-password_libreoffice-writer-password.pdf") },
    async open(vars = {}) {
      const app = createApp(createRuntime({ config: loadConfig({ ...base, ...vars }), store: lance, providers: { baseDelayMs: 5 } }));
      return { fetch: async (request) => app.fetch(request) };
    },
  };
});
