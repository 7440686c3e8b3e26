/**
 * The fake NIM / Qiniu / OpenAI-compatible server. Plain node:http rather than
 * Hono because faults need the socket: "drop" destroys it mid-request, and a
 * client that disconnects mid-stream must be noticed.
 *
 * Per request: record -> latency -> fault -> auth -> route -> rate limit -> handler.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chat } from "./chat.js";
import { embeddings } from "./embeddings.js";
import { badRequest, notFound, rateLimited, unauthorized } from "./errors.js";
import { FaultQueue, faultReply, withStreamError, type ApiRoute } from "./faults.js";
import { listModels } from "./models.js";
import { resolveOptions } from "./options.js";
import { ocr } from "./ocr.js";
import { ranking } from "./ranking.js";
import { httpReply, type FakeProvider, type FakeProviderOptions, type Flavor, type RecordedRequest, type Reply } from "./types.js";
import { parseBody, pause, readBody, redactHeaders, send, type ParsedBody } from "./wire.js";

const WINDOW_MS = 60_000;
const STATUS_PATH = "/v2/nvcf/pexec/status";

interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  /** Which injected faults apply; none for status polls. */
  fault?: ApiRoute;
  /** Counts toward rpmLimit. */
  counted?: boolean;
  /** Flavors that serve this route; Qiniu has no embeddings or reranking. */
  flavors?: Flavor[];
  handle(body: unknown, params: string[]): Reply;
}

export async function startFakeProvider(options: FakeProviderOptions & { port?: number } = {}): Promise<FakeProvider> {
  const { port = 0, ...rest } = options;
  let settings = resolveOptions(rest);
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  const admitted: number[] = [];
  // NIM 202 results waiting to be polled: `polls` more 202s, then the reply.
  const pending = new Map<string, { polls: number; reply: Reply }>();
  const shutdown = new AbortController();

  const routes: Route[] = [
    { method: "GET", pattern: /^\/v1\/models$/, fault: "models", handle: () => listModels(settings.flavor) },
    {
      method: "POST",
      pattern: /^\/v1\/embeddings$/,
      fault: "embeddings",
      counted: true,
      flavors: ["nim", "openai"],
      handle: (body) => embeddings(body, settings),
    },
    { method: "POST", pattern: /^\/v1\/chat\/completions$/, fault: "chat", counted: true, handle: (body) => chat(body, settings) },
    {
      method: "POST",
      pattern: /^\/v1\/ranking$/,
      fault: "ranking",
      counted: true,
      flavors: ["nim", "openai"],
      handle: (body) => ranking(body, settings),
    },
    {
      method: "POST",
      pattern: /^\/v1\/retrieval\/nvidia\/([^/]+)\/reranking$/,
      fault: "ranking",
      counted: true,
      flavors: ["nim", "openai"],
      handle: (body, [model]) => ranking(body, settings, model),
    },
    {
      method: "POST",
      pattern: /^\/v1\/cv\/nvidia\/nemoretriever-ocr-v1$/,
      fault: "ocr",
      counted: true,
      flavors: ["nim"],
      handle: (body) => ocr(body, settings),
    },
    { method: "GET", pattern: new RegExp(`^${STATUS_PATH}/([^/]+)$`), handle: (_body, [id]) => poll(id ?? "") },
  ];

  /** Sliding 60 s window; a rejected request does not enter it. */
  function admit(now = Date.now()): boolean {
    if (settings.rpmLimit === undefined) return true;
    while (admitted.length > 0 && admitted[0]! <= now - WINDOW_MS) admitted.shift();
    if (admitted.length >= settings.rpmLimit) return false;
    admitted.push(now);
    return true;
  }

  function accepted(id: string): Reply {
    return httpReply(202, undefined, { "NVCF-REQID": id, "NVCF-STATUS": "pending-evaluation" });
  }

  /** Successes are deferred behind a 202; errors (auth, validation) are answered at once. */
  function defer(reply: Reply, polls: number): Reply {
    if (reply.kind === "http" && reply.status >= 300) return reply;
    const id = randomUUID();
    pending.set(id, { polls, reply });
    return accepted(id);
  }

  function poll(id: string): Reply {
    const entry = pending.get(id);
    if (!entry) return notFound(settings.flavor, "GET", `${STATUS_PATH}/${id}`);
    if (entry.polls > 0) {
      entry.polls--;
      return accepted(id);
    }
    pending.delete(id);
    return entry.reply;
  }

  function answer(method: string, pathname: string, authorization: string | undefined, body: ParsedBody): Reply {
    const { flavor, apiKey } = settings;
    const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!bearer) return unauthorized(flavor, "missing");
    if (bearer[1] !== apiKey) return unauthorized(flavor, "invalid");

    const found = findRoute(method, pathname);
    if (!found || (found.route.flavors && !found.route.flavors.includes(flavor))) return notFound(flavor, method, pathname);
    if (method === "POST" && !body.ok) return badRequest(flavor, "Request body is not valid JSON");
    if (found.route.counted && !admit()) return rateLimited(flavor);
    return found.route.handle(body.value, found.params);
  }

  function findRoute(method: string, pathname: string): { route: Route; params: string[] } | undefined {
    for (const route of routes) {
      const m = route.method === method ? route.pattern.exec(pathname) : null;
      if (m) return { route, params: m.slice(1) };
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const raw = await readBody(req);
    const body = parseBody(raw);
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const record: RecordedRequest = { method, path, body: body.value, headers: redactHeaders(req), at, status: 0 };
    requests.push(record);

    let dropped = false;
    const gone = new AbortController();
    res.on("finish", () => (record.ms = Date.now() - at));
    res.on("close", () => {
      if (!res.writableFinished && !dropped) record.disconnected = true;
      gone.abort();
    });
    const signal = AbortSignal.any([shutdown.signal, gone.signal]);

    if (!(await pause(settings.latencyMs, signal))) return;
    const pathname = new URL(path, "http://fake").pathname;
    const faultRoute = findRoute(method, pathname)?.route.fault;
    const fault = faultRoute ? faults.take(faultRoute) : undefined;

    if (fault?.type === "drop") {
      dropped = true;
      req.socket.destroy();
      return;
    }
    if (fault?.type === "hang" && !(await pause(fault.ms, signal))) return;

    let reply = fault && faultReply(fault, settings.flavor, body.value);
    reply ??= answer(method, pathname, req.headers.authorization, body);
    if (fault?.type === "accepted") reply = defer(reply, fault.polls);
    if (fault?.type === "stream-error") reply = withStreamError(reply, fault.afterChunks, settings.flavor);
    await send(res, reply, record, signal, settings.streamChunkDelayMs);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake, not a provider behaviour: make it loud.
      console.error("fake provider:", error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(`fake provider bug: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/v1`,
    origin,
    statusUrl: `${origin}${STATUS_PATH}`,
    requests,
    inject: (fault, opts) => faults.add(fault, opts?.route, opts?.times),
    clearFaults: () => faults.clear(),
    reset() {
      // Emptied in place: callers may hold a reference to `requests`.
      requests.length = 0;
      faults.clear();
      admitted.length = 0;
      pending.clear();
    },
    set(changes) {
      settings = resolveOptions({ ...settings, ...changes });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // Wake hanging handlers and cut keep-alive sockets so close() does not wait for clients.
        shutdown.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
