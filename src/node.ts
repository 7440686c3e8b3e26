/**
 * The Node entry (a composition root): reads the environment, opens the runtime over
 * LanceDB, seeds the sample documents on a first start, serves the HTTP app.
 */
import { serve } from "@hono/node-server";
import { seedSamples } from "../ingest/samples.js";
import { configOrReport } from "./config.js";
import { createApp } from "./http/app.js";
import { createConsoleLogger } from "./logger.js";
import { configuredSecrets, createRedactor } from "./providers/redact.js";
import { openNodeRuntime } from "./runtime/node-runtime.js";

async function main() {
  const config = configOrReport(process.env, (message) => console.error(message));
  if (!config) process.exit(2);
  const logger = createConsoleLogger(createRedactor(configuredSecrets(config)));
  const rt = await openNodeRuntime(config, { logger });
  await seedSamples(rt).catch((error: Error) => logger.warn("could not ingest the sample documents", { error: error.message }));
  const app = createApp(rt);

  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) => {
    logger.info("askdocs listening", { url: `http://${info.address}:${info.port}`, lancedb: config.LANCEDB_URI });
    if (!rt.providers.embedder) logger.warn(rt.providers.embedderMissing ?? "no embedding provider");
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info("shutting down", { signal });
    // In-flight requests finish; then the store closes.
    server.close(async () => {
      await rt.close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

await main();
