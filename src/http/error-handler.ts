import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";

/** The one place errors become responses: `{"error":{"code","message","details"?}}`. */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context) {
    if (error instanceof AppError) {
      return c.json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } }, error.status as ContentfulStatusCode);
    }
    if (error instanceof HTTPException) {
      return c.json({ error: { code: "http_error", message: error.message || "Request failed" } }, error.status);
    }
    logger.error("unhandled error", { path: c.req.path, error: error.message });
    return c.json({ error: { code: "internal_error", message: "Internal server error" } }, 500);
  };
}
