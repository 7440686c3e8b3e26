import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { envSchema } from "../../src/config.js";
import type { FakeProvider } from "../fake-provider/index.js";

/**
 * Runs the real `src/node.ts` (and `ingest/command.ts`) as child processes for end-to-end
 * tests and benchmarks. `node --import tsx` rather than `npx tsx`: one process (tsx's CLI
 * forks a second one), so the pid we hold is the server itself and SIGTERM reaches it.
 */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The environment for a child: the parent's (PATH, HOME…) minus every askdocs setting, so
 * nothing set on the developer's machine leaks in, then the fake provider (when given) and
 * the LanceDB directory. `undefined` in `extra` removes a variable.
 */
export function childEnv(fake: FakeProvider | undefined, lancedbUri: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(envSchema.shape)) delete env[name];
  Object.assign(env, {
    ...(fake ? { NVIDIA_API_KEY: "test-key", NIM_BASE_URL: fake.url, NVCF_STATUS_URL: fake.statusUrl, NIM_RPM: "100000" } : {}),
    LANCEDB_URI: lancedbUri,
    HOST: "127.0.0.1",
    PORT: "0",
    // No sample documents seeded into `default` on the first start: tests count collections.
    SAMPLE_DOCS: "",
    ...extra,
  });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (its log). */
  readonly log: string;
  /** Settles when the process has exited and its pipes are drained. */
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. Safe to call twice. */
  stop(graceMs?: number): Promise<Exit>;
}

/** The start-up line, as text (`… url=http://…`) or as JSON (LOG_FORMAT=json: `"url":"http://…"`). */
const LISTENING = /askdocs listening(?: url=|","url":")(http:\/\/[^\s"]+)/;

/** Starts the server and resolves once it logs `askdocs listening url=…`; rejects (with its log) if it exits or stalls first. */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/node.ts"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (log += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (log += text));
  const exited = new Promise<Exit>((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));

  let stopping: Promise<Exit> | undefined;
  const stop = (graceMs = 10_000): Promise<Exit> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(1000);
      reject(new Error(`server did not start in ${timeoutMs} ms; log:\n${log}`));
    }, timeoutMs);
    const onData = () => {
      const match = LISTENING.exec(log);
      if (!match) return;
      clearTimeout(timer);
      child.stderr!.off("data", onData);
      resolve(match[1]!);
    };
    child.stderr!.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening (code ${code}, signal ${signal}); log:\n${log}`));
    });
  });
  return {
    url,
    child,
    get log() {
      return log;
    },
    exited,
    stop,
  };
}

/** Runs the real ingest command to completion (see ingest-cli.ts). */
export { runIngest as runIngestCommand } from "./ingest-cli.js";

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The events of an SSE response, as they arrive. Deliberately small and separate from the
 * service's own parser (eventsource-parser), so a bug there cannot hide a bug here.
 */
export async function* readSse(response: Response): AsyncGenerator<SseEvent> {
  if (!response.body) throw new Error("SSE response without a body");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length > 0) yield { event, data: data.join("\n") };
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Resolves once `check` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
