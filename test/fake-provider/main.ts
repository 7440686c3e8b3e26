/**
 * Run the fake provider by hand:
 *   npx tsx test/fake-provider/main.ts --port 9999 [--latency 150] [--rpm 40]
 *     [--flavor nim|qiniu|openai] [--key test-key] [--max-batch 32] [--chunk-delay 20]
 */
import { parseArgs } from "node:util";
import { startFakeProvider } from "./server.js";
import type { Flavor } from "./types.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9999" },
    latency: { type: "string" },
    rpm: { type: "string" },
    flavor: { type: "string" },
    key: { type: "string" },
    "max-batch": { type: "string" },
    "chunk-delay": { type: "string" },
  },
});

const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

const provider = await startFakeProvider({
  port: Number(values.port),
  flavor: values.flavor as Flavor | undefined,
  apiKey: values.key,
  latencyMs: number(values.latency),
  rpmLimit: number(values.rpm),
  maxBatch: number(values["max-batch"]),
  streamChunkDelayMs: number(values["chunk-delay"]),
});

console.log(`Fake provider (${values.flavor ?? "nim"}) listening at ${provider.url}`);
console.log(`API key: ${values.key ?? "test-key"}   NIM status polling: ${provider.statusUrl}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void provider.close().then(() => process.exit(0));
  });
}
