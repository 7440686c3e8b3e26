/**
 * Injected faults, consumed first-in first-out by the requests whose route
 * matches. Tests script failure sequences with them ("two 429s, then a drop").
 */
import { quotaExceeded, rateLimited, serverError, streamErrorEvent, unknownModel } from "./errors.js";
import { httpReply, type Fault, type FaultRoute, type Flavor, type Reply } from "./types.js";

export type ApiRoute = Exclude<FaultRoute, "any">;

interface Queued {
  fault: Fault;
  route: FaultRoute;
  remaining: number;
}

const ROUTES: FaultRoute[] = ["embeddings", "chat", "models", "ranking", "ocr", "any"];

export class FaultQueue {
  #queue: Queued[] = [];

  add(fault: Fault, route: FaultRoute = "any", times = 1): void {
    if (!ROUTES.includes(route)) throw new TypeError(`Expected \`route\` to be one of ${ROUTES.join(", ")}, got \`${String(route)}\``);
    if (!Number.isInteger(times) || times < 1) {
      throw new TypeError(`Expected \`times\` to be an integer >= 1, got \`${String(times)}\` (${typeof times})`);
    }
    this.#queue.push({ fault, route, remaining: times });
  }

  /** The next fault for this route, if any; an entry leaves the queue after its last use. */
  take(route: ApiRoute): Fault | undefined {
    const index = this.#queue.findIndex((q) => q.route === "any" || q.route === route);
    const entry = this.#queue[index];
    if (!entry) return undefined;
    entry.remaining--;
    if (entry.remaining === 0) this.#queue.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.#queue = [];
  }
}

/** Faults that replace the answer outright; undefined for those that modify a normal answer. */
export function faultReply(fault: Fault, flavor: Flavor, body: unknown): Reply | undefined {
  switch (fault.type) {
    case "status":
      return httpReply(fault.status, fault.body, fault.headers);
    case "rate-limit":
      return rateLimited(flavor, fault.retryAfterSeconds);
    case "server-error":
      return serverError(flavor, fault.status ?? 503);
    case "unknown-model": {
      const model = (body as { model?: unknown } | null)?.model;
      return unknownModel(flavor, typeof model === "string" ? model : "unknown");
    }
    case "quota":
      return quotaExceeded(flavor);
    default:
      return undefined;
  }
}

/**
 * Cut a stream after `afterChunks` chunks and end it with an error event inside
 * the 200 response, without `[DONE]`, as NIM does. A non-streaming answer gets a
 * 500 instead; error answers pass through unchanged.
 */
export function withStreamError(reply: Reply, afterChunks: number, flavor: Flavor): Reply {
  if (reply.kind === "sse") return { kind: "sse", events: reply.events.slice(0, afterChunks), error: streamErrorEvent() };
  return reply.status < 300 ? serverError(flavor, 500) : reply;
}
