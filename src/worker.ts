/**
 * The Cloudflare Workers entry (a composition root, like src/node.ts): the same Hono app
 * from the same runtime factory, over the Cloudflare store (D1 + Vectorize) instead of
 * LanceDB. Variables come from `[vars]` and `wrangler secret`, validated by the same zod
 * config as on Node; a bad configuration answers every request with a 500 naming the
 * variables (never their secret values) instead of crashing. One runtime per isolate and
 * bindings object: provider pacing is therefore per isolate (README, "Deploy to
 * Cloudflare Workers"), and 429s from providers are retried with back-off as on Node.
 */
import type { Hono } from "hono";
import { loadConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import { createApp } from "./http/app.js";
import { configuredLogger, createConsoleLogger } from "./logger.js";
import type { Embedder } from "./providers/embed.js";
import { createWorkersAIEmbedder, type WorkersAI } from "./providers/workers-ai-embed.js";
import { type CreateRuntimeOptions, createRuntime } from "./runtime/create-runtime.js";
import type { D1Database, VectorizeIndex } from "./store/cloudflare-bindings.js";
import { createCloudflareStore } from "./store/cloudflare-store.js";

export interface WorkerEnv {
  DB: D1Database;
  VECTORIZE: VectorizeIndex;
  /** Workers AI, for `EMBED_PROVIDER=workers-ai`. */
  AI?: WorkersAI;
  /** Variables and secrets: strings. */
  [name: string]: unknown;
}

/** Test seams: an injected fetch, shorter back-offs, a quiet logger (never set in production). */
export type WorkerOptions = Pick<CreateRuntimeOptions, "providers" | "logger">;

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/** Builds the Worker's `fetch` handler; the module's default export is one of these. */
export function createWorker(options: WorkerOptions = {}) {
  // Per isolate, per bindings object: the runtime (provider queues, clients) is reused across requests.
  const apps = new WeakMap<object, Hono | ConfigError>();

  function appFor(env: WorkerEnv): Hono | ConfigError {
    let app = apps.get(env);
    if (!app) {
      try {
        app = createApp(runtimeFor(env, options));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        (options.logger ?? createConsoleLogger()).error(error.message);
        app = error;
      }
      apps.set(env, app);
    }
    return app;
  }

  return {
    async fetch(request: Request, env: WorkerEnv, ctx?: ExecutionContextLike): Promise<Response> {
      const app = appFor(env);
      if (app instanceof ConfigError) return Response.json({ error: { code: "config_error", message: app.message } }, { status: 500 });
      return app.fetch(request, env, ctx as never);
    },
  };
}

function runtimeFor(env: WorkerEnv, options: WorkerOptions) {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
  // Cloudflare routes by host name: a rebound DNS name cannot reach a Worker, so any Host is fine unless set.
  vars.ALLOWED_HOSTS ??= "*";
  const config = loadConfig(vars);
  const problems: string[] = [];
  if (!env.DB) problems.push("DB: Expected a D1 database binding named `DB` (wrangler.toml `[[d1_databases]]`)");
  if (!env.VECTORIZE) problems.push("VECTORIZE: Expected a Vectorize index binding named `VECTORIZE` (wrangler.toml `[[vectorize]]`)");
  const embedder = workersAIEmbedder(env, vars, config.EMBED_MODEL, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const store = createCloudflareStore({ db: env.DB, vectors: env.VECTORIZE });
  const providers = { ...options.providers, ...(embedder ? { embedder } : {}) };
  return createRuntime({ config, store, logger: options.logger ?? configuredLogger(config), providers });
}

/** `EMBED_PROVIDER=workers-ai` embeds with `@cf/baai/bge-m3` through the `AI` binding; unset, embeddings go to NIM or EMBED_BASE_URL as on Node. */
function workersAIEmbedder(env: WorkerEnv, vars: Record<string, string>, model: string, problems: string[]): Embedder | undefined {
  const choice = vars.EMBED_PROVIDER ?? "";
  if (choice === "") return undefined;
  if (choice !== "workers-ai") {
    problems.push(`EMBED_PROVIDER: Expected \`workers-ai\` or unset (got \`${choice}\`)`);
    return undefined;
  }
  if (!env.AI) problems.push('EMBED_PROVIDER: `workers-ai` needs the Workers AI binding `AI` (wrangler.toml `[ai] binding = "AI"`)');
  if (model !== "baai/bge-m3") problems.push(`EMBED_MODEL: Workers AI serves \`@cf/baai/bge-m3\`: set EMBED_MODEL=baai/bge-m3 with EMBED_PROVIDER=workers-ai (got \`${model}\`)`);
  return env.AI ? createWorkersAIEmbedder({ ai: env.AI }) : undefined;
}

export default createWorker();
