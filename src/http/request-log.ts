/**
 * Per request: an id (the caller's `X-Request-Id` when it is a plain token, else a new
 * one) echoed in the response header, error bodies and log lines; one log line (method,
 * path, status, milliseconds; never headers, bodies or query strings); and the request
 * counters and latency histogram by route pattern, so `/v1/documents/:id` is one series.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(c: Context): string | undefined {
  return c.res.headers.get("x-request-id") ?? undefined;
}

/** The route pattern that answered (the last non-middleware match), or `unmatched` (404s). */
function routeOf(c: Context): string {
  return (
    matchedRoutes(c)
      .filter((r) => r.method !== "ALL")
      .at(-1)?.path ?? "unmatched"
  );
}

export function requestLog(logger: Logger, metrics: Metrics): MiddlewareHandler {
  const requests = metrics.counter("askdocs_http_requests_total", "HTTP requests by route pattern, method and status.");
  const latency = metrics.histogram("askdocs_http_request_duration_seconds", "HTTP request latency until the response headers, by route pattern and method.");
  return async function log(c, next) {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.header("X-Request-Id", id);
    await next();
    // Error responses are built fresh by the error handler: keep the id on them too.
    if (!c.res.headers.has("x-request-id")) {
      try {
        c.res.headers.set("X-Request-Id", id);
      } catch {
        // A proxied response with immutable headers: the log line still has the id.
      }
    }
    const ms = performance.now() - started;
    const route = routeOf(c);
    requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    latency.observe({ route, method: c.req.method }, ms / 1000);
    logger.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(ms), request_id: id });
  };
}
