import type { FakeProviderOptions, Flavor, ResolvedOptions } from "./types.js";

const FLAVORS: Flavor[] = ["nim", "qiniu", "openai"];

/** Defaults first, then one check per option, in p-queue's message format. */
export function resolveOptions(options: FakeProviderOptions): ResolvedOptions {
  const o = {
    flavor: options.flavor ?? "nim",
    apiKey: options.apiKey ?? "test-key",
    latencyMs: options.latencyMs ?? 0,
    rpmLimit: options.rpmLimit,
    maxBatch: options.maxBatch,
    streamChunkDelayMs: options.streamChunkDelayMs ?? 0,
  };
  const problem = (name: string, expected: string, value: unknown) => new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
  if (!FLAVORS.includes(o.flavor)) throw problem("flavor", `one of ${FLAVORS.join(", ")}`, o.flavor);
  if (typeof o.apiKey !== "string" || o.apiKey === "") throw problem("apiKey", "a non-empty string", o.apiKey);
  for (const name of ["latencyMs", "streamChunkDelayMs"] as const) {
    if (!Number.isFinite(o[name]) || o[name] < 0) throw problem(name, "a finite number >= 0", o[name]);
  }
  for (const name of ["rpmLimit", "maxBatch"] as const) {
    const value = o[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw problem(name, "an integer >= 1", value);
  }
  return o;
}
