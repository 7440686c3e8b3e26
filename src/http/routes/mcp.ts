/**
 * MCP over Streamable HTTP at `/mcp`, in the same app and behind the same middleware as
 * the rest of the API: the bearer key, and the browser guard (browser-guard.ts), which
 * refuses what a DNS-rebinding page could send, as the MCP spec asks: a `Host` that is not
 * this server's (ALLOWED_HOSTS) and a POST from another site's `Origin`. Stateless: each
 * POST gets a fresh server and the SDK's web-standard transport, answered as JSON (no
 * session to keep, so any replica can serve any call; GET and DELETE are 405).
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { createMcpServer } from "../../mcp/server.js";
import type { Runtime } from "../../runtime/runtime.js";

export function mcpRoutes(rt: Runtime) {
  return new Hono().all("/mcp", async (c) => {
    const server = createMcpServer(rt);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      // With JSON responses the whole exchange is done when the Response is.
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
}
