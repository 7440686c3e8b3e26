/** `GET /openapi.json` and `GET /reference`: the API described (src/http/openapi/), served without the API key. */
import { Hono } from "hono";
import { raw } from "hono/html";
import { openApiDocument } from "../openapi/document.js";
import { ReferencePage } from "../openapi/reference-page.js";

export const OPEN_REFERENCE_PATHS = ["/openapi.json", "/reference"];

export function referenceRoutes() {
  const doc = openApiDocument();
  return new Hono()
    .get("/openapi.json", (c) => c.json(doc))
    .get("/reference", (c) =>
      c.html(
        <>
          {raw("<!doctype html>")}
          <ReferencePage doc={doc} />
        </>,
      ),
    );
}
