import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.js";

/**
 * Browser-facing safety in one middleware, for every door that serves HTTP (the API,
 * and the web page, MCP and compatible APIs as they land). A page on another site must
 * not drive a local askdocs:
 * - DNS rebinding: the `Host` must be one of `allowedHosts` (a rebound name is not);
 * - cross-site requests: a state-changing method (POST, PUT, PATCH, DELETE) from a browser
 *   must come from the server's own origin or one listed in `corsOrigins`, told by
 *   `Sec-Fetch-Site` and `Origin` (clients that send neither, such as curl, are not browsers);
 * - simple requests: a body must be `application/json` (multipart on `multipartRoutes`),
 *   so a cross-site `text/plain` POST, which needs no CORS preflight, is a 415.
 */
export interface BrowserGuardOptions {
  /** Host names accepted in `Host` (any port); `"*"` turns the check off (behind a proxy). See allowedHosts(). */
  allowedHosts: readonly string[] | "*";
  /** Origins allowed to call cross-site (CORS_ORIGINS); `*` allows any. */
  corsOrigins: readonly string[];
  /** Paths whose body is multipart/form-data rather than JSON. */
  multipartRoutes: readonly string[];
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const MULTIPART_TYPE = /^\s*multipart\/form-data\s*(?:;|$)/i;

export const LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"] as const;
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", "[::]"]);
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)$/i;

/** `[::1]` and `::1`, `Example.COM.` and `example.com` are the same host. */
const normaliseHost = (host: string) =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");

/**
 * The hosts to accept: the listen address and the localhost names always (a page cannot rebind
 * those), plus the configured names (ALLOWED_HOSTS), or any host for `*`. A server listening on
 * every interface (`0.0.0.0`, `::`) also accepts any IP address as Host: an address cannot be
 * rebound, only a name can; names (a LAN host name, a public domain) go in ALLOWED_HOSTS.
 */
export function allowedHosts(listenHost: string, configured: readonly string[] | "*" | undefined): string[] | "*" {
  if (configured === "*") return "*";
  return [...new Set([normaliseHost(listenHost), ...LOCAL_HOSTS, ...(configured ?? []).map(normaliseHost)])];
}

function hostAllowed(hostname: string, allowed: ReadonlySet<string>): boolean {
  const host = normaliseHost(hostname);
  if (allowed.has(host)) return true;
  return IP_LITERAL.test(host) && [...allowed].some((a) => WILDCARD_ADDRESSES.has(a));
}

function hasBody(headers: Headers): boolean {
  if (headers.has("transfer-encoding")) return true;
  const length = headers.get("content-length");
  return length !== null ? length.trim() !== "0" : headers.has("content-type");
}

export function browserGuard(options: BrowserGuardOptions): MiddlewareHandler {
  const anyHost = options.allowedHosts === "*";
  const hosts = new Set(anyHost ? [] : (options.allowedHosts as readonly string[]).map(normaliseHost));
  const anyOrigin = options.corsOrigins.includes("*");
  const origins = new Set(options.corsOrigins.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  const multipart = new Set(options.multipartRoutes);

  return async function guard(c, next) {
    const url = new URL(c.req.url);
    if (!anyHost && !hostAllowed(url.hostname, hosts)) {
      throw new AppError(403, "host_not_allowed", `Host "${url.hostname.slice(0, 100)}" is not allowed: add it to ALLOWED_HOSTS (comma-separated), or set ALLOWED_HOSTS=* behind a proxy that checks it.`);
    }
    const method = c.req.method.toUpperCase();
    if (!UNSAFE_METHODS.has(method)) return next();

    const site = c.req.header("sec-fetch-site")?.toLowerCase();
    const origin = c.req.header("origin");
    // Browsers set Sec-Fetch-Site themselves (pages cannot forge it): same-origin and
    // user-initiated (`none`) requests are the server's own; otherwise Origin decides.
    if (site !== "same-origin" && site !== "none" && (origin !== undefined || site !== undefined)) {
      const own = origin !== undefined && origin !== "null" && URL.canParse(origin) && new URL(origin).host === url.host;
      const listed = origin !== undefined && (anyOrigin || origins.has(origin.replace(/\/+$/, "").toLowerCase()));
      if (!own && !listed) {
        throw new AppError(
          403,
          "cross_site_request",
          `Cross-site request refused${origin ? ` from origin ${origin.slice(0, 200)}` : ""}: only the server's own pages and the origins in CORS_ORIGINS may call ${method} routes from a browser.`,
        );
      }
    }

    if (hasBody(c.req.raw.headers)) {
      const type = c.req.header("content-type") ?? "";
      const wantsMultipart = multipart.has(c.req.path);
      if (wantsMultipart ? !MULTIPART_TYPE.test(type) : !JSON_TYPE.test(type)) {
        throw new AppError(
          415,
          "unsupported_media_type",
          wantsMultipart ? "Send the file as multipart/form-data with a `file` field." : `Send the body as JSON with \`Content-Type: application/json\`${type ? ` (got \`${type.slice(0, 100)}\`)` : ""}.`,
        );
      }
    }
    return next();
  };
}
