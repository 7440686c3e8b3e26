/**
 * What only the Worker entry (src/worker.ts) does, in workerd: a bad configuration or a
 * missing binding answers 500 naming the variable (never a secret), and Workers AI's
 * `@cf/baai/bge-m3` embeds through the `AI` binding (a stand-in: Workers AI has no local
 * simulation), and PDFs read without Node: a damaged one repaired, one that needs Adobe's
 * predefined CMaps refused with a reason. The HTTP contract it shares with Node is in
 * http-contract.test.ts.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { createWorker } from "../../src/worker.js";
import { fakeEmbedding } from "../fake-provider/vectors.js";
import { workerEnv } from "./worker-env.js";

const worker = createWorker({ providers: { baseDelayMs: 5 }, logger: silentLogger });
const main = workerEnv();
const call = (path: string, init: RequestInit & { json?: unknown } = {}, bindings = main) => {
  const { json, ...rest } = init;
  const request = new Request(
    `https://askdocs.example.workers.dev${path}`,
    json === undefined ? rest : { ...rest, method: rest.method ?? "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) },
  );
  return worker.fetch(request, bindings);
};
const upload = (content: string | ArrayBuffer, name: string, collection: string, bindings = main) => {
  const form = new FormData();
  form.append("file", new File([content], name));
  form.append("collection", collection);
  return call("/v1/documents", { method: "POST", body: form }, bindings);
};
async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  return body.error;
}

describe("the Worker entry", () => {
  it("answers every request with a 500 naming the bad variable, never its secret, when the configuration is wrong", async () => {
    const bad = workerEnv({ NIM_BASE_URL: "https://integrate.api.nvidia.com/v1/chat/completions", NVIDIA_API_KEY: "nvapi-secret-value" });
    const error = await expectError(await call("/health", {}, bad), 500, "config_error");
    expect(error.message).toMatch(/NIM_BASE_URL/);
    expect(error.message).not.toContain("nvapi-secret-value");
    const unbound = workerEnv({ DB: undefined });
    expect((await expectError(await call("/health", {}, unbound), 500, "config_error")).message).toMatch(/DB: .*D1/);
    const noAi = workerEnv({ EMBED_PROVIDER: "workers-ai", EMBED_MODEL: "nvidia/nv-embedqa-e5-v5" });
    const message = (await expectError(await call("/health", {}, noAi), 500, "config_error")).message;
    expect(message).toMatch(/`AI`/);
    expect(message).toMatch(/EMBED_MODEL=baai\/bge-m3/);
  });

  it("embeds with Workers AI's @cf/baai/bge-m3 when EMBED_PROVIDER=workers-ai, 100 texts a call at most", async () => {
    const calls: { model: string; texts: number }[] = [];
    const ai = {
      async run(model: string, input: { text: string[] }) {
        calls.push({ model, texts: input.text.length });
        if (input.text.length > 100) throw new Error("AiError: too many inputs");
        return { shape: [input.text.length, 1024], data: input.text.map((t) => Array.from(fakeEmbedding(t))) };
      },
    };
    const workersAi = workerEnv({ AI: ai, EMBED_PROVIDER: "workers-ai", EMBED_MODEL: "baai/bge-m3", NVIDIA_API_KEY: undefined });
    const health = (await (await call("/health", {}, workersAi)).json()) as { embedding: { configured: boolean; model: string } };
    expect(health.embedding).toEqual({ configured: true, model: "baai/bge-m3" });
    const long = Array.from({ length: 30 }, (_, i) => `## Section ${i}\n\n${"Tide pools and rock pools hold anemones. ".repeat(30)}\n`).join("\n");
    expect((await upload(`# Pools\n\n${long}`, "pools.md", "bge", workersAi)).status).toBe(201);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.model === "@cf/baai/bge-m3" && c.texts <= 100)).toBe(true);
    const hits = (await (await call("/v1/search", { json: { query: "anemones", collection: "bge", mode: "vector", top_k: 1 } }, workersAi)).json()) as { results: { source: string }[] };
    expect(hits.results[0]!.source).toBe("pools.md");
  });

  it("repairs a PDF with a damaged Flate stream, and refuses Chinese text that needs predefined CMaps with a reason naming the Node runtime", async () => {
    const repaired = await upload(env.PDF_BAD_FLATE, "damaged.pdf", "pdfs");
    expect(repaired.status).toBe(201);
    expect(((await repaired.json()) as { warnings?: string[] }).warnings).toEqual([expect.stringMatching(/bad zlib header/)]);
    const error = await expectError(await upload(env.PDF_CJK_CMAP, "tides-zh.pdf", "pdfs"), 422, "no_text");
    expect(error.message).toMatch(/^tides-zh\.pdf: no text found: .*predefined CMaps \(UniGB-UCS2-H\).*the Node runtime/);
  });
});
