/**
 * askdocs's HTTP API as one Hono app over a Runtime: request log, CORS, the browser
 * guard (Host, cross-site, media types), bearer auth, body limits, `/health`, then the
 * routes. Nothing here reads the environment or opens files, so the Node server and the
 * Worker serve the same app.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { AppError, NotFoundError } from "../errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { parseStorageLocation, readConsistencyMs } from "../store/storage-location.js";
import { bearerAuth, presentsToken } from "./auth.js";
import { allowedHosts, browserGuard } from "./browser-guard.js";
import { errorHandler } from "./error-handler.js";
import { requestLog } from "./request-log.js";
import { askRoutes } from "./routes/ask.js";
import { catalogRoutes } from "./routes/catalog.js";
import { documentRoutes } from "./routes/documents.js";
import { searchRoutes } from "./routes/search.js";
import { WEB_PATHS, webRoutes } from "../web/web-routes.js";

/** How long `/health` waits for the store before it reports it unavailable. */
const HEALTH_STORE_TIMEOUT_MS = 3000;

/** JSON bodies are questions, not documents: 1 MB is plenty. */
const JSON_LIMIT = 1024 * 1024;

export interface AppOptions {
  /** True once the process is shutting down: `/health` answers 503 so balancers stop sending requests. */
  draining?: () => boolean;
}

/** Builds the HTTP app over a runtime: middleware, then one small router per capability. */
export function createApp(deps: Runtime, options: AppOptions = {}): Hono {
  const app = new Hono();
  const onError = errorHandler(deps.logger);
  app.onError(onError);
  // Answered here, not thrown: a throw from notFound skips the request log's line (Hono
  // runs it as the innermost `next()` of the log middleware, outside the handler's catch).
  app.notFound((c) => onError(new NotFoundError(`No route ${c.req.method} ${c.req.path}.`), c));

  app.use(requestLog(deps.logger, deps.metrics));
  if (deps.config.CORS_ORIGINS.length > 0) {
    const origins = deps.config.CORS_ORIGINS;
    app.use(cors({ origin: origins.includes("*") ? "*" : origins, allowHeaders: ["Authorization", "Content-Type"], allowMethods: ["GET", "POST", "DELETE", "OPTIONS"] }));
  }
  app.use(
    browserGuard({
      allowedHosts: allowedHosts(deps.config.HOST, deps.config.ALLOWED_HOSTS),
      corsOrigins: deps.config.CORS_ORIGINS,
      multipartRoutes: ["/v1/documents"],
    }),
  );
  const apiKey = deps.config.RAG_API_KEY;
  if (apiKey) app.use(bearerAuth({ token: apiKey, open: ["/health", ...WEB_PATHS] }));
  const jsonLimit = bodyLimit({
    maxSize: JSON_LIMIT,
    onError: () => {
      throw new AppError(413, "payload_too_large", "Request body too large: the limit is 1 MB.");
    },
  });
  app.use("/v1/search", jsonLimit);
  app.use("/v1/ask", jsonLimit);

  const location = parseStorageLocation(deps.config.LANCEDB_URI);
  const storeRole = { backend: location.kind, read_consistency_ms: readConsistencyMs(location, deps.config.READ_CONSISTENCY_MS), upkeep: deps.config.UPKEEP };

  // Readiness: 503 while the store does not answer (or while draining), so a balancer routes
  // around this replica instead of every request failing on its own. An unreachable object
  // store does not fail fast (its client retries for minutes): a slow answer counts as none.
  app.get("/health", async (c) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the store did not answer within ${HEALTH_STORE_TIMEOUT_MS / 1000} s`)), HEALTH_STORE_TIMEOUT_MS);
    });
    const store = await Promise.race([deps.store.listCollections(), timeout])
      .finally(() => clearTimeout(timer))
      .then(
        (list) => ({ ok: true, collections: list.length, ...storeRole }),
        (error: Error) => ({ ok: false, error: error.message, ...storeRole }),
      );
    const status = options.draining?.() ? "draining" : store.ok ? "ok" : "unavailable";
    // With an API key set, an anonymous caller (a probe) learns only whether the service is ready, not its set-up.
    if (apiKey && !(await presentsToken(c.req.header("authorization"), apiKey))) return c.json({ status }, status === "ok" ? 200 : 503);
    return c.json(
      {
        status,
        store,
        embedding: { configured: Boolean(deps.providers.embedder), model: deps.config.EMBED_MODEL, ...(deps.providers.embedderMissing ? { needs: deps.providers.embedderMissing } : {}) },
        chat: { default: deps.providers.defaultChatModel, providers: deps.providers.status().map(({ provider, configured }) => ({ provider, configured })) },
      },
      status === "ok" ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) => c.body(await deps.metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }));

  app.route("/", webRoutes());
  app.route("/", catalogRoutes(deps));
  app.route("/", searchRoutes(deps));
  app.route("/", askRoutes(deps));
  app.route("/", documentRoutes(deps));
  return app;
}
