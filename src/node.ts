/**
 * The Node entry (a composition root): reads the environment, opens the runtime over
 * LanceDB, seeds the sample documents on a first start, serves the HTTP app, and on
 * SIGTERM drains: `/health` turns 503, no new connections, in-flight requests and streams
 * get SHUTDOWN_GRACE_MS to finish, then what is left is cut and the store closed.
 */
import { serve } from "@hono/node-server";
import { seedSamples } from "../ingest/samples.js";
import { configOrReport } from "./config.js";
import { createApp } from "./http/app.js";
import { configuredLogger } from "./logger.js";
import { openNodeRuntime } from "./runtime/node-runtime.js";

async function main() {
  const config = configOrReport(process.env, (message) => console.error(message));
  if (!config) process.exit(2);
  const logger = configuredLogger(config);
  const rt = await openNodeRuntime(config, { logger });
  await seedSamples(rt).catch((error: Error) => logger.warn("could not ingest the sample documents", { error: error.message }));
  let closing = false;
  const app = createApp(rt, { draining: () => closing });

  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) => {
    logger.info("askdocs listening", { url: `http://${info.address}:${info.port}`, lancedb: config.LANCEDB_URI, upkeep: config.UPKEEP });
    if (!rt.providers.embedder) logger.warn(rt.providers.embedderMissing ?? "no embedding provider");
  });

  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info("shutting down", { signal, grace_ms: config.SHUTDOWN_GRACE_MS });
    const http = server as unknown as { closeAllConnections?: () => void };
    // Past the grace period, streams still open are cut: a bounded stop beats a hung deploy.
    const cut = setTimeout(() => {
      logger.warn("grace period over: closing connections still open");
      http.closeAllConnections?.();
    }, config.SHUTDOWN_GRACE_MS);
    cut.unref();
    // Stops accepting, closes idle keep-alive connections, and calls back once in-flight requests end.
    server.close(async () => {
      clearTimeout(cut);
      await rt.close();
      logger.info("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

await main();
