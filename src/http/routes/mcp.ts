/**
 * MCP over Streamable HTTP at `/mcp`, in the same app and behind the same bearer auth as
 * the rest of the API. Stateless: each POST gets a fresh server and the SDK's web-standard
 * transport, answered as JSON (no session to keep, so any replica can serve any call).
 * The MCP spec asks servers to refuse what a DNS-rebinding page could send: a `Host` that
 * is not this server's, or an `Origin` of another site; both are checked here, on every method.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono, type MiddlewareHandler } from "hono";
import type { Config } from "../../config.js";
import { AppError } from "../../errors.js";
import { createMcpServer } from "../../mcp/server.js";
import type { Runtime } from "../../runtime/runtime.js";

const LOCAL_NAMES = ["localhost", "127.0.0.1", "::1"];
const WILDCARD = new Set(["0.0.0.0", "::"]);
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)$/i;
const bare = (host: string) =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");

/**
 * `Host` must name this server: the listen address or a localhost name (with any port); a
 * server on every interface also takes IP addresses, which cannot be rebound. `Origin`, when
 * a browser sends one, must be this server's own or listed in CORS_ORIGINS.
 */
function rebindingGuard(config: Pick<Config, "HOST" | "CORS_ORIGINS">): MiddlewareHandler {
  const hosts = new Set([bare(config.HOST), ...LOCAL_NAMES]);
  const anyAddress = WILDCARD.has(bare(config.HOST));
  const origins = new Set(config.CORS_ORIGINS.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  return async function guard(c, next) {
    const url = new URL(c.req.url);
    const host = bare(url.hostname);
    if (!hosts.has(host) && !(anyAddress && IP_LITERAL.test(host))) {
      throw new AppError(403, "host_not_allowed", `Host "${host.slice(0, 100)}" is not allowed for MCP: call askdocs by its listen address or localhost.`);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !origins.has("*") && !origins.has(origin.replace(/\/+$/, "").toLowerCase()) && !(URL.canParse(origin) && new URL(origin).host === url.host)) {
      throw new AppError(403, "origin_not_allowed", `Origin ${origin.slice(0, 200)} may not call MCP: only this server's own pages and the origins in CORS_ORIGINS may.`);
    }
    return next();
  };
}

export function mcpRoutes(rt: Runtime) {
  const app = new Hono();
  app.use("/mcp", rebindingGuard(rt.config));
  app.all("/mcp", async (c) => {
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
  return app;
}
