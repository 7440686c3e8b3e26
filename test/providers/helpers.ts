import { type Config, loadConfig } from "../../src/config.js";
import { createPacer } from "../../src/providers/pacing.js";
import { type Transport, type TransportOptions, createTransport } from "../../src/providers/transport.js";
import type { FakeProvider } from "../fake-provider/index.js";

/** A transport aimed at the fake, with short back-offs so retry tests stay quick. */
export function fakeTransport(fake: FakeProvider, overrides: Partial<TransportOptions> = {}): Transport {
  return createTransport({
    provider: "NVIDIA NIM",
    keyVariable: "NVIDIA_API_KEY",
    baseURL: fake.url,
    apiKey: "test-key",
    statusURL: fake.statusUrl,
    pollIntervalMs: 20,
    timeoutMs: 2000,
    retry: { baseDelayMs: 10, maxDelayMs: 50, maxRetries: 3 },
    pacer: createPacer({ name: "test", rpm: 100_000, concurrency: 8 }),
    ...overrides,
  });
}

export function fakeConfig(fake: FakeProvider, env: Record<string, string> = {}): Config {
  return loadConfig({
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: fake.url,
    NVCF_STATUS_URL: fake.statusUrl,
    NIM_RPM: "100000",
    PROVIDER_MAX_RETRIES: "3",
    PROVIDER_TIMEOUT_MS: "2000",
    ...env,
  });
}

/** Requests the fake received on one route. */
export function sent(fake: FakeProvider, path: string) {
  return fake.requests.filter((r) => r.path.endsWith(path));
}
