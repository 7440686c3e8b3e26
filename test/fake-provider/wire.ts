/** Socket-level plumbing of the fake server: bodies, header redaction, pauses and writing replies. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedRequest, Reply } from "./types.js";

export type ParsedBody = { ok: boolean; value: unknown };

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function parseBody(raw: string): ParsedBody {
  if (raw === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, value: raw };
  }
}

/** Keys must never end up in logs or snapshots. */
export function redactHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : value;
    if (name === "authorization") out[name] = /^\S+\s/.test(text) ? `${text.split(/\s/)[0]} <redacted>` : "<redacted>";
    else if (name === "x-api-key" || name === "api-key") out[name] = "<redacted>";
    else out[name] = text;
  }
  return out;
}

/** Resolves true after `ms`, false at once if the request or server goes away. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export async function send(res: ServerResponse, reply: Reply, record: RecordedRequest, signal: AbortSignal, delayMs: number) {
  if (signal.aborted || res.destroyed) return;
  if (reply.kind === "http") {
    const { body } = reply;
    const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
    const type = body === undefined ? undefined : typeof body === "string" ? "text/plain; charset=utf-8" : "application/json";
    record.status = reply.status;
    res.writeHead(reply.status, {
      ...(type && { "content-type": type }),
      "content-length": String(Buffer.byteLength(text)),
      ...reply.headers,
    });
    res.end(text);
    return;
  }
  record.status = 200;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  for (const [i, event] of reply.events.entries()) {
    if (i > 0 && !(await pause(delayMs, signal))) return;
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  }
  if (!(await pause(delayMs, signal))) return;
  // An error event replaces [DONE]: the stream just ends after it.
  res.end(`data: ${reply.error === undefined ? "[DONE]" : JSON.stringify(reply.error)}\n\n`);
}
