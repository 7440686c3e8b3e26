import { Hono } from "hono";
import type { Config } from "../config.js";
import { NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Providers } from "../providers/registry.js";
import type { VectorStore } from "../store/vector-store.js";
import { errorHandler } from "./error-handler.js";

export interface AppDeps {
  store: VectorStore;
  providers: Providers;
  config: Config;
  logger: Logger;
}

/** Builds the HTTP app from its parts; nothing here reads the environment or opens files. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler(deps.logger));
  app.notFound((c) => {
    throw new NotFoundError(`No route ${c.req.method} ${c.req.path}`);
  });

  app.get("/health", async (c) => {
    const collections = await deps.store.listCollections().then(
      (list) => ({ ok: true, collections: list.length }),
      () => ({ ok: false, collections: 0 }),
    );
    return c.json({
      status: "ok",
      store: collections,
      embedding: { configured: Boolean(deps.providers.embedder), model: deps.config.EMBED_MODEL },
      chat: { default: deps.providers.defaultChatModel, providers: deps.providers.status().map(({ provider, configured }) => ({ provider, configured })) },
    });
  });

  return app;
}
