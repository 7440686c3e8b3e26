import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { envSchema } from "../../src/config.js";
import type { FakeProvider } from "../fake-provider/index.js";

/**
 * Runs the real `ingest/command.ts` as a child process. `node --import tsx` rather than
 * `npx tsx`: one process (tsx's CLI forks a second one), so the pid we hold is the pid
 * that takes the ingest lock, and SIGKILL really kills the ingest.
 */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface IngestRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningIngest {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<IngestRun>;
}

/**
 * The environment for one run: the parent's (PATH, HOME…) minus every askdocs setting,
 * so nothing set on the developer's machine leaks in, then the fake provider and a
 * fast, small-retry configuration. `undefined` in `extra` removes a variable.
 */
export function ingestEnv(fake: FakeProvider, lancedbUri: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(envSchema.shape)) delete env[name];
  Object.assign(env, {
    NVIDIA_API_KEY: "test-key",
    NIM_BASE_URL: fake.url,
    NVCF_STATUS_URL: fake.statusUrl,
    NIM_RPM: "100000",
    NIM_CONCURRENCY: "4",
    PROVIDER_MAX_RETRIES: "2",
    PROVIDER_TIMEOUT_MS: "10000",
    LANCEDB_URI: lancedbUri,
    ...extra,
  });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * `detached`: the run leads its own process group, so a test can kill the whole group (`process.kill(-pid)`).
 * `cwd` other than the repository: tsx and the command by absolute path (`--remote` sources are relative to it).
 */
export function startIngest(args: string[], env: Record<string, string>, timeoutMs = 90_000, options: { detached?: boolean; cwd?: string } = {}): RunningIngest {
  const started = Date.now();
  const tsx = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  const child = spawn(process.execPath, ["--import", tsx, path.join(REPO_ROOT, "ingest/command.ts"), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const done = new Promise<IngestRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ingest ${args.join(" ")} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // "close", not "exit": by then both pipes are drained.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
  };
}

export function runIngest(args: string[], env: Record<string, string>, timeoutMs?: number, cwd?: string): Promise<IngestRun> {
  return startIngest(args, env, timeoutMs, { cwd }).done;
}

export interface Summary {
  ingested: number;
  /** "to ingest" on a dry run. */
  unchanged: number;
  skipped: number;
  failed: number;
  pruned: number;
  chunks: number;
  requests: number;
  retries: number;
  /** source → reason, from the `failed: <source>: <reason>` lines. */
  failures: Map<string, string>;
  /** source → reason, from the `skipped <source>: <reason>` lines. */
  skips: Map<string, string>;
  pruneLines: string[];
}

/** Parses the summary the command prints on stdout; throws when there is none. */
export function parseSummary(stdout: string): Summary {
  const files = /^files: (\d+) (?:ingested|to ingest), (\d+) unchanged, (\d+) skipped, (\d+) failed(?:, (\d+) pruned)?$/m.exec(stdout);
  const chunks = /^chunks: (\d+) (?:written|would be written) · embedding requests: (\d+) · retries: (\d+)/m.exec(stdout);
  if (!files || !chunks) throw new Error(`no summary in the command's output:\n${stdout}`);
  const pairs = (re: RegExp) => new Map([...stdout.matchAll(re)].map((m) => [m[1]!, m[2]!]));
  return {
    ingested: Number(files[1]),
    unchanged: Number(files[2]),
    skipped: Number(files[3]),
    failed: Number(files[4]),
    pruned: Number(files[5] ?? 0),
    chunks: Number(chunks[1]),
    requests: Number(chunks[2]),
    retries: Number(chunks[3]),
    // Sources are paths relative to the ingest root, without ": " in them.
    failures: pairs(/^failed: (.+?): (.*)$/gm),
    skips: pairs(/^skipped (.+?): (.*)$/gm),
    pruneLines: [...stdout.matchAll(/^(?:would prune|pruned) (.+)$/gm)].map((m) => m[1]!),
  };
}

/** Embedding requests the fake has received so far. */
export function embeddingRequests(fake: FakeProvider) {
  return fake.requests.filter((r) => r.path.endsWith("/embeddings"));
}

/** Resolves once `check` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
