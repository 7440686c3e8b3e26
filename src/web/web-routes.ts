/**
 * `GET /` serves the web page; `/assets/app.js` and `/assets/app.css` its script and
 * styles. They hold no data, so they stay public when RAG_API_KEY is set (the page then
 * asks for the key). Assets are named by content hash and cached for good; the page is
 * revalidated. A strict Content-Security-Policy keeps the page on this origin: no CDN,
 * nothing fetched from elsewhere, no inline script.
 */
import { Hono } from "hono";
import { compress } from "hono/compress";
import { CLIENT_SCRIPT } from "./client-script.js";
import { langFor, MESSAGES } from "./messages.js";
import { Page } from "./page.js";
import { STYLES } from "./styles.js";

export const WEB_PATHS = ["/", "/assets/app.js", "/assets/app.css"];

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** FNV-1a: a short, synchronous content tag for cache-busting (not for security). */
function contentTag(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

export function webRoutes() {
  const script = CLIENT_SCRIPT.replace("__MESSAGES__", JSON.stringify(MESSAGES));
  const assets = {
    "/assets/app.js": { body: script, type: "text/javascript; charset=utf-8", tag: contentTag(script) },
    "/assets/app.css": { body: STYLES, type: "text/css; charset=utf-8", tag: contentTag(STYLES) },
  };
  const app = new Hono();
  app.use("/", compress());
  app.use("/assets/*", compress());

  app.get("/", (c) => {
    c.header("Content-Security-Policy", CSP);
    c.header("Cache-Control", "no-cache");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Vary", "Accept-Language");
    const page = Page({
      lang: langFor(c.req.header("accept-language")),
      scriptUrl: `/assets/app.js?v=${assets["/assets/app.js"].tag}`,
      styleUrl: `/assets/app.css?v=${assets["/assets/app.css"].tag}`,
    });
    return c.html(`<!doctype html>${page}`);
  });

  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, (c) => {
      const etag = `"${asset.tag}"`;
      c.header("ETag", etag);
      c.header("X-Content-Type-Options", "nosniff");
      c.header("Cache-Control", c.req.query("v") === asset.tag ? "public, max-age=31536000, immutable" : "no-cache");
      if (c.req.header("if-none-match") === etag) return c.body(null, 304);
      return c.body(asset.body, 200, { "Content-Type": asset.type });
    });
  }
  return app;
}
