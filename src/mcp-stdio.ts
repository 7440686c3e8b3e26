/**
 * The MCP stdio entry (a composition root like src/node.ts): `askdocs mcp` or
 * `npm run -s mcp`. stdout carries the protocol and nothing else; logs go to stderr.
 * It opens the same LanceDB as the server (LANCEDB_URI), so both can run at once.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { configOrReport } from "./config.js";
import { configuredLogger } from "./logger.js";
import { createMcpServer } from "./mcp/server.js";
import { openNodeRuntime } from "./runtime/node-runtime.js";

async function main() {
  const config = configOrReport(process.env, (message) => console.error(message));
  if (!config) process.exit(2);
  const logger = configuredLogger(config);
  const rt = await openNodeRuntime(config, { logger });
  const server = createMcpServer(rt);
  const transport = new StdioServerTransport();
  // The client closing stdin ends the session: close the store and exit.
  transport.onclose = () => {
    void rt.close().finally(() => process.exit(0));
  };
  await server.connect(transport);
  logger.info("askdocs MCP server on stdio", { lancedb: config.LANCEDB_URI });
  if (!rt.providers.embedder) logger.warn(rt.providers.embedderMissing ?? "no embedding provider");
}

await main();
