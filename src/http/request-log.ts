import type { MiddlewareHandler } from "hono";
import type { Logger } from "../logger.js";

/** One line per request: method, path, status, milliseconds. Never headers, bodies or query strings. */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async function log(c, next) {
    const started = performance.now();
    await next();
    logger.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  };
}
