import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { AppError } from "../errors.js";

/** Whether an Authorization header carries `token` as a Bearer token; compared in constant time. */
export async function presentsToken(header: string | undefined, token: string): Promise<boolean> {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return Boolean(match) && (await timingSafeEqual(match![1]!.trim(), token));
}

/** Bearer-token auth for every route but the open ones; compared in constant time. */
export function bearerAuth(options: { token: string; open: string[] }): MiddlewareHandler {
  if (!options.token) throw new TypeError("Expected `token` to be a non-empty string");
  const open = new Set(options.open);
  return async function auth(c, next) {
    if (open.has(c.req.path)) return next();
    if (!(await presentsToken(c.req.header("authorization"), options.token))) {
      c.header("WWW-Authenticate", 'Bearer realm="askdocs"');
      throw new AppError(401, "unauthorized", "Missing or wrong API key: send `Authorization: Bearer <RAG_API_KEY>`.");
    }
    return next();
  };
}
