/**
 * A seeded generator of hostile HTTP requests for the fuzz test: every route of the API
 * with random and malformed bodies (JSON of every type, truncated, nested, binary),
 * headers (media types, boundaries, Origin, Sec-Fetch-Site, Host) and multipart bodies
 * (no boundary, wrong boundary, cut off, several files, names with line feeds, bidi
 * characters, 300-character names). The same seed gives the same cases, so a failure
 * can be replayed from the seed and case number the test prints.
 */
import { prng } from "../bench/vectors.js";

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

export function createHostileRequests(seed: number, host: string) {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const chance = (p: number) => random() < p;

  const WEIRD = ["", " ", "\u0000", "\n", "\r\n", "\u202e", "\u2066", "😀", "文档", "../../etc/passwd", "%00", "' OR 1=1 --", '"', "\\", "\ud800", "a".repeat(300), "default", "x-y_z"];
  const randomString = (): string => {
    switch (int(4)) {
      case 0:
        return pick(WEIRD);
      case 1:
        return Array.from({ length: int(40) }, () => String.fromCharCode(int(0x3000))).join("");
      case 2:
        return "word ".repeat(int(50)).trim();
      default:
        return pick(WEIRD) + Array.from({ length: int(12) }, () => String.fromCharCode(32 + int(95))).join("") + pick(WEIRD);
    }
  };
  const randomValue = (depth = 0): unknown => {
    switch (int(depth > 3 ? 6 : 8)) {
      case 0:
        return null;
      case 1:
        return pick([0, -1, 1.5, 1e308, -0, 51, 6, Number.MAX_SAFE_INTEGER]);
      case 2:
        return chance(0.5);
      case 3:
      case 4:
        return randomString();
      case 5:
        return pick(["hybrid", "vector", "keyword", "nope", "default", "tide"]);
      case 6:
        return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [pick(["question", "query", "collection", "top_k", "mode", "stream", "rerank", "model", "__proto__", "constructor", randomString()]), randomValue(depth + 1)]),
        );
    }
  };
  /** A body that matches the schema more often than not, then breaks one field. */
  const nearValidJson = (kind: "ask" | "search"): string => {
    const body: Record<string, unknown> = kind === "ask" ? { question: "What lives in tide pools?" } : { query: "tide pools" };
    if (chance(0.6)) body.collection = pick(["default", "fuzz", "missing", randomString()]);
    if (chance(0.4)) body.top_k = pick([1, 6, 50, 0, 51, -3, 2.5, "6", null]);
    if (chance(0.4)) body.mode = pick(["keyword", "hybrid", "vector", "semantic", 3]);
    if (kind === "ask" && chance(0.4)) body.stream = pick([true, false, "yes", 1]);
    if (kind === "ask" && chance(0.2)) body.model = pick(["nim:meta/llama", "bogus", "qiniu:x", "", randomString()]);
    if (chance(0.3)) body[pick(["question", "query", "extra", "rerank"])] = randomValue();
    return JSON.stringify(body);
  };
  const brokenJson = (): string =>
    pick([
      "",
      "{",
      '{"question": "cut',
      "[]",
      "null",
      "12",
      '"a string"',
      "{'single': 'quotes'}",
      "[".repeat(5000) + "]".repeat(5000),
      `{"question":${"[".repeat(3000)}${"]".repeat(3000)}}`,
      '{"question": "\\ud800"}',
      '{"question": "a", "question": "b"}',
      "\u0000\u0001\u0002",
      `{"__proto__": {"polluted": true}, "question": "x"}`,
    ]);
  /** Percent-encodes, and a lone surrogate becomes the invalid UTF-8 it would be on the wire. */
  const encode = (text: string) => {
    try {
      return encodeURIComponent(text);
    } catch {
      return "%ED%A0%80";
    }
  };
  const binary = (): Uint8Array => Uint8Array.from({ length: int(2048) }, () => int(256));

  const boundary = () => pick(["X", "----fuzz" + int(1e9), "a b", "", '"quoted"', "-".repeat(80)]);
  const fileName = () =>
    pick([
      "notes.md",
      "evil\u202egpj.md",
      "line\nfeed.md",
      "tab\tname.txt",
      `${"n".repeat(300)}.md`,
      "../../../escape.md",
      "C:\\\\windows\\\\x.txt",
      "no-extension",
      ".md",
      "文档.txt",
      "😀.html",
      "a.pdf",
      "",
      "x.exe",
      "\u0000.md",
    ]);
  const fileBody = () => pick(["# Fuzz\n\nTide pools hold anemones.\n", "", "%PDF-1.4 not really", "<html><body>hi</body></html>", "\u0000\u0001binary"]);
  const multipartBody = (b: string): string => {
    const parts: string[] = [];
    const count = int(4);
    for (let i = 0; i < count; i++) {
      const field = pick(["file", "file", "collection", "other", ""]);
      if (field === "file" || chance(0.2)) {
        parts.push(
          `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName()}"\r\nContent-Type: ${pick(["text/markdown", "application/octet-stream", "", "text/plain; charset=gbk"])}\r\n\r\n${fileBody()}\r\n`,
        );
      } else {
        parts.push(`--${b}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${pick(["default", "fuzz", "", "bad name!", "a".repeat(100), randomString()])}\r\n`);
      }
    }
    let text = parts.join("") + (chance(0.8) ? `--${b}--\r\n` : "");
    if (chance(0.15)) text = text.slice(0, int(text.length + 1)); // cut off
    if (chance(0.05)) text = `garbage before\r\n${text}`;
    return text;
  };

  const JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    "application/json; charset=latin1",
    "APPLICATION/JSON",
    "application/vnd.api+json",
    "multipart/form-data; boundary=X",
  ];

  const browserHeaders = (): Record<string, string> => {
    const h: Record<string, string> = {};
    if (chance(0.15)) h.origin = pick(["https://evil.example", "null", `http://${host}`, "http://localhost:3000", "not a url"]);
    if (chance(0.15)) h["sec-fetch-site"] = pick(["cross-site", "same-site", "same-origin", "none", "bogus"]);
    return h;
  };

  /** The next request. */
  return function next(): HostileRequest {
    const headers: Record<string, string> = { host: chance(0.05) ? pick(["evil.example", "localhost", "[::1]", "127.0.0.1.nip.io", "", "a".repeat(300)]) : host, ...browserHeaders() };
    if (chance(0.1)) headers.authorization = pick(["Bearer ", "Bearer wrong", "Basic abc", "Bearer " + "x".repeat(500)]);
    const route = int(10);
    if (route <= 2) {
      // JSON routes
      const path = pick(["/v1/ask", "/v1/search"]);
      headers["content-type"] = chance(0.7) ? "application/json" : pick(JSON_TYPES);
      const body = chance(0.6) ? nearValidJson(path === "/v1/ask" ? "ask" : "search") : chance(0.5) ? brokenJson() : chance(0.5) ? JSON.stringify(randomValue()) : binary();
      return { method: chance(0.95) ? "POST" : pick(["PUT", "PATCH", "GET", "DELETE"]), path, headers, body };
    }
    if (route <= 5) {
      // uploads
      const b = boundary();
      const type = pick([
        `multipart/form-data; boundary=${b}`,
        `multipart/form-data; boundary=${b}`,
        `multipart/form-data; boundary=${b}`,
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/json",
        "text/plain",
        "",
        `multipart/mixed; boundary=${b}`,
      ]);
      if (type) headers["content-type"] = type;
      const body = chance(0.85) ? multipartBody(b === "" ? "X" : b.replace(/"/g, "")) : chance(0.5) ? binary() : "";
      const query = chance(0.2) ? `?collection=${encode(randomString())}` : "";
      return { method: "POST", path: `/v1/documents${query}`, headers, body };
    }
    if (route <= 7) {
      // reads and deletes
      const collection = pick(["default", "fuzz", "missing", "", "Bad%20Name", "%00", "a".repeat(80), encode(randomString())]);
      const id = pick(["0".repeat(32), "f".repeat(32), "xyz", "", "..%2F..", "A".repeat(32), encode(randomString())]);
      return pick([
        { method: "GET", path: `/v1/documents?collection=${collection}`, headers },
        { method: "DELETE", path: `/v1/documents/${id}?collection=${collection}`, headers },
        { method: "GET", path: "/v1/collections", headers },
        { method: "GET", path: "/v1/models", headers },
        { method: "GET", path: "/health", headers },
      ]);
    }
    // anything else: unknown paths and methods
    const path = pick(["/", "/v1", "/v1/ask/extra", "/v1/documents/", "/%2e%2e/%2e%2e/etc/passwd", "/v1/collections?x=%ZZ", `/${encode(randomString())}`, "/v1//documents"]);
    const method = pick(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]);
    const body = method === "GET" || method === "HEAD" ? undefined : chance(0.5) ? binary() : randomString();
    if (body !== undefined && chance(0.5)) headers["content-type"] = pick(JSON_TYPES);
    return { method, path, headers, ...(body === undefined ? {} : { body }) };
  };
}
