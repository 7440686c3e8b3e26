/**
 * The module rules of the README's architecture section, checked on the sources:
 * 1. One dependency direction: `ingest/` builds on `src/`; library code in `src/` never
 *    imports `ingest/`. Only composition roots (entry points and the runtime factories)
 *    may import across the other way.
 * 2. What a Worker bundles (the core in `src/`, and the loaders, chunking, token counting
 *    and pipeline of `ingest/`) imports nothing Node-only; Node-only modules are listed.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Entry points and runtime factories: they wire `ingest/` into the core. */
const COMPOSITION_ROOT = /^src\/(node|worker)\.ts$|^src\/runtime\/[\w-]*runtime\.ts$|(^|\/)[\w-]*command\.ts$|^src\/[\w/-]*stdio\.ts$/;
/** Modules that run on Node only (files, processes, LanceDB's native addon). */
const NODE_ONLY = /^src\/node\.ts$|^src\/runtime\/node-[\w-]*\.ts$|^src\/store\/lance-[\w-]*\.ts$|^src\/eval\/|^src\/[\w/-]*stdio\.ts$|^src\/node\/|^ingest\/(command|discover|lock|samples|progress)\.ts$|^ingest\/node\//;
const NODE_IMPORT = /^(node:|@lancedb\/|@napi-rs\/|@hono\/node-server|fs$|path$|os$|child_process$|worker_threads$)/;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await sources(rel)));
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".tsx")) out.push(rel);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

const resolved = (file: string, spec: string) => (spec.startsWith(".") ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec);

describe("architecture", () => {
  it("library code in src/ never imports ingest/; only composition roots cross", async () => {
    const offenders: string[] = [];
    for (const file of await sources("src")) {
      if (COMPOSITION_ROOT.test(file)) continue;
      for (const spec of await importsOf(file)) if (resolved(file, spec).startsWith("ingest/")) offenders.push(`${file} -> ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it("what a Worker bundles imports nothing Node-only", async () => {
    const offenders: string[] = [];
    const files = [...(await sources("src")), ...(await sources("ingest"))].filter((f) => !NODE_ONLY.test(f));
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) {
      for (const spec of await importsOf(file)) {
        const target = resolved(file, spec);
        if (NODE_IMPORT.test(spec) || NODE_ONLY.test(`${target.replace(/\.js$/, ".ts")}`)) offenders.push(`${file} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
