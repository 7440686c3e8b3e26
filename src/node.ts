import { serve } from "@hono/node-server";
import { blobFolderFor, createFolderBlobStore } from "./blobs/folder-blob-store.js";
import { configOrReport } from "./config.js";
import { createApp } from "./http/app.js";
import { createConsoleLogger } from "./logger.js";
import { ingestSettings } from "../ingest/settings.js";
import { embedModelProfile } from "./providers/embed-models.js";
import { createProviders } from "./providers/registry.js";
import { seedSamples } from "./samples.js";
import { openLanceStore } from "./store/lance-store.js";

/** Node entry: reads the environment, wires LanceDB and the providers, serves HTTP. */
async function main() {
  const logger = createConsoleLogger();
  const config = configOrReport(process.env, (message) => console.error(message));
  if (!config) process.exit(2);
  const store = await openLanceStore({ uri: config.LANCEDB_URI });
  const ingest = ingestSettings(embedModelProfile(config.EMBED_MODEL));
  const providers = createProviders(config, { logger, countTokens: ingest.countTokens });
  const blobs = createFolderBlobStore(blobFolderFor(config.LANCEDB_URI));
  await seedSamples({ store, providers, config, logger, ingest, blobs }).catch((error: Error) => logger.warn("could not ingest the sample documents", { error: error.message }));
  const app = createApp({ store, providers, config, logger, ingest, blobs });

  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) => {
    logger.info("askdocs listening", { url: `http://${info.address}:${info.port}`, lancedb: config.LANCEDB_URI });
    if (!providers.embedder) logger.warn(providers.embedderMissing ?? "no embedding provider");
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info("shutting down", { signal });
    // In-flight requests finish; then the store closes.
    server.close(async () => {
      await store.close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

await main();
