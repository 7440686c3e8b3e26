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
import { bearerAuth, presentsToken } from "./auth.js";
import { allowedHosts, browserGuard } from "./browser-guard.js";
import { errorHandler } from "./error-handler.js";
import { requestLog } from "./request-log.js";
import { askRoutes } from "./routes/ask.js";
import { catalogRoutes } from "./routes/catalog.js";
import { documentRoutes } from "./routes/documents.js";
import { searchRoutes } from "./routes/search.js";
import { WEB_PATHS, webRoutes } from "../web/web-routes.js";

/** JSON bodies are questions, not documents: 1 MB is plenty. */
const JSON_LIMIT = 1024 * 1024;

/** Builds the HTTP app over a runtime: middleware, then one small router per capability. */
export function createApp(deps: Runtime): Hono {
  const app = new Hono();
  const onError = errorHandler(deps.logger);
  app.onError(onError);
  // Answered here, not thrown: a throw from notFound skips the request log's line (Hono
  // runs it as the innermost `next()` of the log middleware, outside the handler's catch).
  app.notFound((c) => onError(new NotFoundError(`No route ${c.req.method} ${c.req.path}.`), c));

  app.use(requestLog(deps.logger));
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

  app.get("/health", async (c) => {
    // With an API key set, an anonymous caller learns only that the service is up (for probes), not its set-up.
    if (apiKey && !(await presentsToken(c.req.header("authorization"), apiKey))) return c.json({ status: "ok" });
    const store = await deps.store.listCollections().then(
      (list) => ({ ok: true, collections: list.length }),
      (error: Error) => ({ ok: false, error: error.message }),
    );
    return c.json({
      status: "ok",
      store,
      embedding: { configured: Boolean(deps.providers.embedder), model: deps.config.EMBED_MODEL, ...(deps.providers.embedderMissing ? { needs: deps.providers.embedderMissing } : {}) },
      chat: { default: deps.providers.defaultChatModel, providers: deps.providers.status().map(({ provider, configured }) => ({ provider, configured })) },
    });
  });

  app.route("/", webRoutes());
  app.route("/", catalogRoutes(deps));
  app.route("/", searchRoutes(deps));
  app.route("/", askRoutes(deps));
  app.route("/", documentRoutes(deps));
  return app;
}
