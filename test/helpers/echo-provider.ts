import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A hostile OpenAI-compatible provider for the secret-redaction tests: every answer is an
 * error that echoes the caller's `Authorization` header (and any extra secrets the test
 * names, standing for a key pasted into a prompt) in one of the ways real servers have
 * been seen to: verbatim, cut short, `\u`-escaped inside JSON, inside an SSE error event,
 * as a non-JSON SSE line, or as a non-SSE body to a streamed request.
 */
export const ECHO_STYLES = ["plain", "escaped", "partial", "sse-error", "sse-text", "not-sse"] as const;
export type EchoStyle = (typeof ECHO_STYLES)[number];

export interface EchoProvider {
  /** Base URL ending in /v1. */
  url: string;
  /** How the next answers echo; tests switch it between calls. */
  style: EchoStyle;
  /** Requests received so far. */
  readonly hits: number;
  close(): Promise<void>;
}

/** `\u`-escapes every character, as some JSON encoders (and a hostile server) do. */
const escapeAll = (text: string) => [...text].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

export async function startEchoProvider(extraSecrets: string[] = []): Promise<EchoProvider> {
  let hits = 0;
  const state = { style: "plain" as EchoStyle };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    hits++;
    const auth = req.headers.authorization ?? "";
    const key = auth.replace(/^Bearer\s+/i, "");
    const echoed = [auth, ...extraSecrets].join(" | ");
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const streamed = /"stream"\s*:\s*true/.test(body);
      const style = state.style;
      if (streamed && style === "sse-error") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: ${JSON.stringify({ error: { message: `upstream rejected ${echoed}` } })}\n\n`);
        return;
      }
      if (streamed && style === "sse-text") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: upstream rejected ${echoed}\n\n`);
        return;
      }
      if (streamed && style === "not-sse") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(`upstream rejected ${echoed}`);
        return;
      }
      if (style === "escaped") {
        // Hand-built JSON: the echo only reads as the key once a JSON parser decodes it.
        res.writeHead(400, { "content-type": "application/json" });
        res.end(`{"error":{"message":"bad request for ${escapeAll(echoed)}"}}`);
        return;
      }
      if (style === "partial") {
        // Cut-off echoes: a prefix and a middle slice of each secret, never the whole.
        const parts = [key, ...extraSecrets].flatMap((s) => [s.slice(0, Math.max(8, Math.floor(s.length / 2))), s.slice(2, 12)]);
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `invalid key starting ${parts.join(" and ")}…` } }));
        return;
      }
      // plain (and the streaming styles on a non-streamed call): a verbatim echo in a 400.
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `bad request with header ${echoed}` }, detail: echoed }));
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get style() {
      return state.style;
    },
    set style(value: EchoStyle) {
      state.style = value;
    },
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The first window of at least `min` characters of any secret found in `text` (raw, and with `\u` escapes decoded), or undefined. */
export function leakedPart(text: string, secrets: string[], min = 8): string | undefined {
  const decoded = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  for (const secret of secrets) {
    for (let i = 0; i + min <= secret.length; i++) {
      const part = secret.slice(i, i + min);
      if (text.includes(part) || decoded.includes(part)) return part;
    }
  }
  return undefined;
}
