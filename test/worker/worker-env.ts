/** The bindings a Worker test passes to `fetch`: D1 from Miniflare, a fresh Vectorize stand-in, the fake NIM provider, plus `extra`. */
import { env } from "cloudflare:test";
import type { WorkerEnv } from "../../src/worker.js";
import { createFakeVectorize } from "./fake-vectorize.js";

export function workerEnv(extra: Record<string, unknown> = {}): WorkerEnv {
  return {
    DB: env.DB,
    VECTORIZE: createFakeVectorize({ dimensions: 1024, metadataIndexes: ["documentId"] }),
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: env.FAKE_PROVIDER_URL,
    NVCF_STATUS_URL: env.FAKE_PROVIDER_STATUS_URL,
    NIM_RPM: "100000",
    PROVIDER_MAX_RETRIES: "1",
    MAX_UPLOAD_MB: "1",
    SAMPLE_DOCS: "",
    ...extra,
  };
}
