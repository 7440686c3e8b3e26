import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessServer, type RawResponse, rawRequest, startInProcessServer } from "./helpers/in-process-server.js";

/**
 * Browser-facing safety (src/http/browser-guard.ts), malformed uploads and `/health`
 * disclosure, against the real app on a real socket: DNS rebinding (Host), cross-site
 * requests (Origin, Sec-Fetch-Site), simple-request media types, multipart that cannot be
 * parsed, hostile file names, and what an anonymous caller learns when RAG_API_KEY is set.
 */
let root: string;
const servers: InProcessServer[] = [];

async function server(env: Record<string, string> = {}): Promise<InProcessServer> {
  const s = await startInProcessServer({ LANCEDB_URI: path.join(root, `db-${servers.length}`), ...env });
  servers.push(s);
  return s;
}

function errorCode(response: RawResponse): string | undefined {
  return (JSON.parse(response.body) as { error?: { code?: string } }).error?.code;
}

const json = (s: InProcessServer, route: string, body: unknown, headers: Record<string, string> = {}) =>
  rawRequest(s.port, { method: "POST", path: route, headers: { host: `127.0.0.1:${s.port}`, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

function multipart(fields: Array<{ name: string; filename?: string; value: string }>, boundary = "askdocs-test-boundary"): string {
  return fields.map((f) => `--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"${f.filename === undefined ? "" : `; filename="${f.filename}"`}\r\n\r\n${f.value}\r\n`).join("") + `--${boundary}--\r\n`;
}

const upload = (s: InProcessServer, body: string, headers: Record<string, string> = {}) =>
  rawRequest(s.port, { method: "POST", path: "/v1/documents", headers: { host: `127.0.0.1:${s.port}`, "content-type": "multipart/form-data; boundary=askdocs-test-boundary", ...headers }, body });

const SEARCH = { query: "tide pools", collection: "default", mode: "keyword" };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "askdocs-http-security-"));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("DNS rebinding: the Host header", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await server();
  });

  it("refuses a host name that is not the listen address, localhost or in ALLOWED_HOSTS, on every method", async () => {
    for (const method of ["GET", "POST"]) {
      const response = await rawRequest(s.port, { method, path: "/v1/collections", headers: { host: `attacker.example:${s.port}` } });
      expect(response.status).toBe(403);
      expect(errorCode(response)).toBe("host_not_allowed");
      expect(JSON.parse(response.body).error.message).toMatch(/ALLOWED_HOSTS/);
    }
  });

  it("accepts the listen address and the localhost names, with or without a port", async () => {
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, "localhost", `[::1]:${s.port}`, "LOCALHOST."]) {
      const response = await rawRequest(s.port, { method: "GET", path: "/v1/collections", headers: { host } });
      expect(response.status, host).toBe(200);
    }
  });

  it("ALLOWED_HOSTS adds names; `*` turns the check off", async () => {
    const named = await server({ ALLOWED_HOSTS: "askdocs.lan, rag.example.com:443" });
    expect((await rawRequest(named.port, { method: "GET", path: "/health", headers: { host: "askdocs.lan:8787" } })).status).toBe(200);
    expect((await rawRequest(named.port, { method: "GET", path: "/health", headers: { host: "rag.example.com" } })).status).toBe(200);
    expect((await rawRequest(named.port, { method: "GET", path: "/health", headers: { host: "localhost" } })).status).toBe(200);
    expect((await rawRequest(named.port, { method: "GET", path: "/health", headers: { host: "evil.example" } })).status).toBe(403);
    const any = await server({ ALLOWED_HOSTS: "*" });
    expect((await rawRequest(any.port, { method: "GET", path: "/health", headers: { host: "10-0-0-7.pod.cluster.local" } })).status).toBe(200);
  });

  it("a server listening on every interface accepts IP addresses (they cannot be rebound) but not other names", async () => {
    const wide = await server({ HOST: "0.0.0.0" });
    expect((await rawRequest(wide.port, { method: "GET", path: "/health", headers: { host: "192.168.1.20:8787" } })).status).toBe(200);
    expect((await rawRequest(wide.port, { method: "GET", path: "/health", headers: { host: "[fe80::1]:8787" } })).status).toBe(200);
    expect((await rawRequest(wide.port, { method: "GET", path: "/health", headers: { host: "rebind.attacker.example" } })).status).toBe(403);
  });
});

describe("cross-site requests", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await server({ CORS_ORIGINS: "https://app.example" });
  });

  it("refuses a state-changing request from another site's page (Origin or Sec-Fetch-Site)", async () => {
    const evil = await json(s, "/v1/search", SEARCH, { origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(errorCode(evil)).toBe("cross_site_request");
    const noOrigin = await json(s, "/v1/search", SEARCH, { "sec-fetch-site": "cross-site" });
    expect(noOrigin.status).toBe(403);
    const sandboxed = await json(s, "/v1/ask", { question: "x" }, { origin: "null" });
    expect(sandboxed.status).toBe(403);
    const otherPort = await json(s, "/v1/search", SEARCH, { origin: "http://127.0.0.1:1", "sec-fetch-site": "same-site" });
    expect(otherPort.status).toBe(403);
    const del = await rawRequest(s.port, { method: "DELETE", path: `/v1/documents/${"0".repeat(32)}`, headers: { host: `127.0.0.1:${s.port}`, origin: "https://evil.example" } });
    expect(del.status).toBe(403);
    const up = await upload(s, multipart([{ name: "file", filename: "planted.md", value: "# Planted\n\nBy another site." }]), { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(up.status).toBe(403);
    const listed = await rawRequest(s.port, { method: "GET", path: "/v1/documents", headers: { host: `127.0.0.1:${s.port}` } });
    expect(listed.status).toBe(404); // nothing was planted: the collection was never created
  });

  it("accepts the server's own pages, the origins in CORS_ORIGINS, and clients that are not browsers", async () => {
    const own = await json(s, "/v1/search", SEARCH, { origin: `http://127.0.0.1:${s.port}`, "sec-fetch-site": "same-origin" });
    expect(own.status).not.toBe(403);
    const sameOriginOnly = await json(s, "/v1/search", SEARCH, { "sec-fetch-site": "same-origin" });
    expect(sameOriginOnly.status).not.toBe(403);
    const listed = await json(s, "/v1/search", SEARCH, { origin: "https://app.example", "sec-fetch-site": "cross-site" });
    expect(listed.status).not.toBe(403);
    const curl = await json(s, "/v1/search", SEARCH);
    expect(curl.status).not.toBe(403);
    // A read is not state-changing: CORS already keeps its answer from another site's script.
    const read = await rawRequest(s.port, { method: "GET", path: "/v1/collections", headers: { host: `127.0.0.1:${s.port}`, origin: "https://evil.example" } });
    expect(read.status).toBe(200);
  });
});

describe("media types: no simple cross-site requests", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await server();
  });

  it("JSON routes answer 415 to anything but application/json, before reading the body", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"]) {
      const response = await rawRequest(s.port, { method: "POST", path: "/v1/ask", headers: { host: `127.0.0.1:${s.port}`, "content-type": type }, body: JSON.stringify({ question: "x" }) });
      expect(response.status, type).toBe(415);
      expect(errorCode(response)).toBe("unsupported_media_type");
    }
    const missing = await rawRequest(s.port, { method: "POST", path: "/v1/search", headers: { host: `127.0.0.1:${s.port}` }, body: JSON.stringify(SEARCH) });
    expect(missing.status).toBe(415);
    const withCharset = await json(s, "/v1/search", SEARCH, { "content-type": "application/json; charset=utf-8" });
    expect(withCharset.status).not.toBe(415);
  });

  it("uploads answer 415 to anything but multipart/form-data", async () => {
    const response = await upload(s, "# x", { "content-type": "text/plain" });
    expect(response.status).toBe(415);
  });
});

describe("malformed uploads are 4xx, never 5xx", () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await server();
  });

  it("an empty body, garbage, a missing boundary, a cut-off body: 400 naming what is wrong", async () => {
    const empty = await upload(s, "", { "content-type": "multipart/form-data; boundary=X" });
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body).error.details).toEqual([{ path: "body", message: "malformed multipart" }]);
    const garbage = await upload(s, "\u0000\u0001 not multipart at all", { "content-type": "multipart/form-data; boundary=X" });
    expect(garbage.status).toBe(400);
    const noBoundary = await upload(s, multipart([{ name: "file", filename: "a.md", value: "# A" }]), { "content-type": "multipart/form-data" });
    expect(noBoundary.status).toBe(400);
    expect(JSON.parse(noBoundary.body).error.details).toEqual([{ path: "content-type", message: "missing boundary" }]);
    const cut = await upload(s, multipart([{ name: "file", filename: "a.md", value: "# A\n\nText." }]).slice(0, 60));
    expect(cut.status).toBe(400);
    expect(s.errors).toEqual([]);
  });

  it("two files in one request: 400 naming `file`", async () => {
    const two = await upload(
      s,
      multipart([
        { name: "file", filename: "a.md", value: "# A" },
        { name: "file", filename: "b.md", value: "# B" },
      ]),
    );
    expect(two.status).toBe(400);
    expect(JSON.parse(two.body).error.details[0].path).toBe("file");
  });

  it("a filename holding a line feed, control or bidi characters is cleaned, not a 500", async () => {
    const lf = await upload(s, multipart([{ name: "file", filename: "line\nfeed.md", value: "# Line feed\n\nText about tides." }]));
    expect(lf.status).toBeLessThan(500);
    const bidi = await upload(
      s,
      multipart([
        { name: "file", filename: "evil\u202egpj.md", value: "# Bidi\n\nText about tides." },
        { name: "collection", value: "names" },
      ]),
    );
    expect(bidi.status).toBe(201);
    expect(JSON.parse(bidi.body).source).toBe("evilgpj.md");
    const control = await upload(
      s,
      multipart([
        { name: "file", filename: "tab\tand\u0007bell.md", value: "# Control\n\nText." },
        { name: "collection", value: "names" },
      ]),
    );
    expect(JSON.parse(control.body).source).toBe("tabandbell.md");
    expect(s.errors).toEqual([]);
  });

  it("a name longer than 255 characters is shortened and keeps its extension", async () => {
    const long = `${"n".repeat(300)}.md`;
    const response = await upload(
      s,
      multipart([
        { name: "file", filename: long, value: "# Long\n\nA long name." },
        { name: "collection", value: "names" },
      ]),
    );
    expect(response.status).toBe(201);
    const source = JSON.parse(response.body).source as string;
    expect(source).toHaveLength(255);
    expect(source.endsWith(".md")).toBe(true);
  });
});

describe("/health with RAG_API_KEY", () => {
  it("tells an anonymous caller only that the service is up, and a caller with the key the details", async () => {
    const s = await server({ RAG_API_KEY: "rag-health-key-123456" });
    const anonymous = await rawRequest(s.port, { method: "GET", path: "/health", headers: { host: `127.0.0.1:${s.port}` } });
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.body)).toEqual({ status: "ok" });
    const wrong = await rawRequest(s.port, { method: "GET", path: "/health", headers: { host: `127.0.0.1:${s.port}`, authorization: "Bearer wrong" } });
    expect(JSON.parse(wrong.body)).toEqual({ status: "ok" });
    const keyed = await rawRequest(s.port, { method: "GET", path: "/health", headers: { host: `127.0.0.1:${s.port}`, authorization: "Bearer rag-health-key-123456" } });
    expect(JSON.parse(keyed.body)).toMatchObject({ status: "ok", store: { ok: true }, embedding: { model: "nvidia/nv-embedqa-e5-v5" }, chat: { default: "nim:meta/llama-3.3-70b-instruct" } });
  });

  it("without RAG_API_KEY, /health shows the set-up to everyone (a local single-user service)", async () => {
    const s = await server();
    const response = await rawRequest(s.port, { method: "GET", path: "/health", headers: { host: `127.0.0.1:${s.port}` } });
    expect(JSON.parse(response.body)).toHaveProperty("chat");
  });
});
