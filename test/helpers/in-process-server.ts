import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { loadConfig } from "../../src/config.js";
import { createApp } from "../../src/http/app.js";
import type { Logger } from "../../src/logger.js";
import { openNodeRuntime } from "../../src/runtime/node-runtime.js";

/**
 * The real app on a real socket (127.0.0.1, port 0) in the test's own process, over a real
 * LanceDB directory: for tests that send thousands of requests or headers `fetch` will not
 * send (Host, a raw body), and that read the app's error log directly.
 */
export interface InProcessServer {
  port: number;
  url: string;
  /** Lines the app logged at error level (unhandled errors). */
  errors: string[];
  close(): Promise<void>;
}

export async function startInProcessServer(env: Record<string, string>): Promise<InProcessServer> {
  const config = loadConfig({ HOST: "127.0.0.1", PORT: "0", SAMPLE_DOCS: "", ...env });
  const errors: string[] = [];
  const logger: Logger = { info() {}, warn() {}, error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields ?? {})}`) };
  const runtime = await openNodeRuntime(config, { logger });
  const app = createApp(runtime);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => void runtime.close().then(resolve, resolve));
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers and bytes (Host included), read to the end. */
export function rawRequest(port: number, options: { method: string; path: string; headers?: Record<string, string>; body?: Uint8Array | string }, timeoutMs = 20_000): Promise<RawResponse> {
  // Framed by Content-Length: Node's client sends a GET or DELETE body unframed otherwise.
  const length = options.body === undefined ? undefined : typeof options.body === "string" ? Buffer.byteLength(options.body) : options.body.byteLength;
  const headers = { ...(length === undefined ? {} : { "content-length": String(length) }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: options.method, path: options.path, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${options.method} ${options.path} in ${timeoutMs} ms`)));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
