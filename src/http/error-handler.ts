import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import { requestIdOf } from "./request-log.js";

/**
 * An error answered before the request body was read (413 by Content-Length, 415, 401…):
 * @hono/node-server 2.1 means to drain such a body, but its drain stalls once the body
 * stream has been opened (bodyLimit opens it), and after 500 ms it destroys the socket it
 * has just answered on as keep-alive, so the client's next request on it fails with "other
 * side closed". Read the rest here instead (the adapter still cuts a body that takes longer
 * than that); when the body is already held by a reader (bodyLimit on a chunked body), close
 * the connection rather than leave it poisoned.
 */
function discardUnreadBody(c: Context, status: number): void {
  const { raw } = c.req;
  if (!raw.bodyUsed && raw.body && !raw.body.locked) {
    raw.body.pipeTo(new WritableStream()).catch(() => {});
  } else if (status === 413) {
    c.header("Connection", "close");
  }
}

/** The one place errors become responses: `{"error":{"code","message","details"?}}`. */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context) {
    discardUnreadBody(c, error instanceof AppError || error instanceof HTTPException ? error.status : 500);
    // The id a caller quotes when reporting a failure; it matches the server's log line.
    const requestId = requestIdOf(c);
    const id = requestId ? { request_id: requestId } : {};
    if (error instanceof AppError) {
      return c.json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), ...id } }, error.status as ContentfulStatusCode);
    }
    if (error instanceof HTTPException) {
      return c.json({ error: { code: "http_error", message: error.message || "Request failed", ...id } }, error.status);
    }
    logger.error("unhandled error", { path: c.req.path, error: error.message, request_id: requestId });
    return c.json({ error: { code: "internal_error", message: "Internal server error", ...id } }, 500);
  };
}
