/**
 * The providers' real error bodies (REFERENCE.md). NIM answers problem-details
 * JSON `{status,title,detail}`, not OpenAI's `{error:{…}}`; Qiniu mixes an
 * OpenAI-like shape with a bare `{"error":"…","status":false}` for bad headers.
 * Clients must parse both, so the fake must send both.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import { httpReply, type Flavor, type Reply } from "./types.js";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  404: "Not Found",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

function problem(status: number, detail?: string, headers?: Record<string, string>): Reply {
  const title = TITLES[status] ?? "Error";
  return httpReply(status, detail === undefined ? { status, title } : { status, title, detail }, headers);
}

function openaiError(status: number, message: string, type: string, code?: string | null): Reply {
  return httpReply(status, { error: code === undefined ? { message, type } : { message, type, code } });
}

/** Same fake uuid for the same model, so logs and snapshots are stable. */
function functionId(model: string): string {
  const h = createHash("sha1").update(model).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ACCOUNT_ID = "kMlPqR3tVx9ZbC1dEfGh2jK4nL6oS8uW0yA5";

export function unauthorized(flavor: Flavor, reason: "missing" | "invalid"): Reply {
  if (flavor === "nim") return problem(401, "Authentication failed");
  if (flavor === "qiniu") {
    // Qiniu says "header missing" for any malformed Authorization header, not only an absent one.
    return reason === "missing" ? httpReply(401, { error: "authorization header missing", status: false }) : openaiError(401, "invalid api key", "invalid_request_error");
  }
  return reason === "missing"
    ? openaiError(401, "You didn't provide an API key.", "invalid_request_error", "missing_api_key")
    : openaiError(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
}

/**
 * NIM: the model is listed but not callable by this account (404).
 * Qiniu: a wrong model id surfaces as a *non-transient* 503 about pricing.
 */
export function unknownModel(flavor: Flavor, model: string): Reply {
  if (flavor === "nim") return problem(404, `Function '${functionId(model)}': Not found for account '${ACCOUNT_ID}'`);
  if (flavor === "qiniu") {
    return openaiError(503, `the price of the model is not set (model: ${model})`, "quota_exceeded_error");
  }
  return openaiError(404, `The model \`${model}\` does not exist.`, "invalid_request_error", "model_not_found");
}

/** Retry-After only when asked for: NIM does not document one. */
export function rateLimited(flavor: Flavor, retryAfterSeconds?: number): Reply {
  const headers = retryAfterSeconds === undefined ? undefined : { "retry-after": String(retryAfterSeconds) };
  const reply = flavor === "nim" ? problem(429) : flavor === "qiniu" ? openaiError(429, "rate limit exceeded", "rate_limit_error") : openaiError(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded");
  return headers && reply.kind === "http" ? { ...reply, headers } : reply;
}

export function serverError(flavor: Flavor, status: 500 | 502 | 503): Reply {
  if (flavor === "nim") return problem(status, "The upstream inference worker did not respond; try again later.");
  return openaiError(status, "The server had an error while processing your request. Please retry.", "server_error");
}

/** Balance or resource pack used up: not retryable. */
export function quotaExceeded(flavor: Flavor): Reply {
  if (flavor === "nim") return problem(402, "Account credits exhausted");
  if (flavor === "qiniu") return openaiError(402, "insufficient balance", "insufficient_quota");
  return openaiError(402, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota");
}

/** A client error in the flavor's shape; Qiniu's OpenAI-like bodies have no `code`, OpenAI's do (often null). */
function clientError(flavor: Flavor, status: number, detail: string): Reply {
  if (flavor === "nim") return problem(status, detail);
  return openaiError(status, detail, "invalid_request_error", flavor === "openai" ? null : undefined);
}

export function badRequest(flavor: Flavor, detail: string): Reply {
  return clientError(flavor, 400, detail);
}

export function notFound(flavor: Flavor, method: string, path: string): Reply {
  return clientError(flavor, 404, `No route for ${method} ${path}`);
}

export function batchTooLarge(flavor: Flavor, size: number, max: number): Reply {
  return clientError(flavor, 413, `batch size ${size} exceeds the maximum of ${max} inputs`);
}

/** Text as in the self-hosted NIM log; the hosted body text is unknown. */
export function inputTooLong(flavor: Flavor, length: number, max: number): Reply {
  return badRequest(flavor, `Input length ${length} exceeds maximum allowed token size ${max}`);
}

/** The payload of the error event sent inside a 200 stream. */
export function streamErrorEvent(): unknown {
  return { error: { object: "error", message: "Internal error while generating the response", type: "internal_error" } };
}

/**
 * zod reports a failed union (content: string | parts) at the union; pydantic points into
 * the member the input had the shape of. When exactly one member got past its type check,
 * its issues stand for the union's, so a bad part is named (`messages.0.content.1.type`).
 */
function flattenUnions(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    const shaped = issue.code === "invalid_union" ? issue.errors.filter((member) => member.some((i) => i.path.length > 0 || i.code !== "invalid_type")) : [];
    return shaped.length === 1 ? flattenUnions(shaped[0]!, path) : [{ ...issue, path }];
  });
}

/** NIM validates with pydantic: render zod issues the way FastAPI prints them. */
export function validationFailed(flavor: Flavor, error: z.ZodError, body: unknown): Reply {
  const issues = flattenUnions(error.issues);
  if (flavor !== "nim") {
    const text = issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    return badRequest(flavor, text);
  }
  const entries: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const input = pyRepr((body as Record<string, unknown>)[key]);
        entries.push(pydantic("extra_forbidden", ["body", key], "Extra inputs are not permitted", input));
      }
      continue;
    }
    const loc: (string | number)[] = ["body", ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
    const input = pyRepr(valueAt(body, issue.path));
    if (issue.code === "invalid_type" && input === "None") entries.push(pydantic("missing", loc, "Field required", "None"));
    else if (issue.code === "invalid_union" && issue.inclusive !== false && issue.discriminator) {
      const tags = (issue.options ?? []).map((v) => pyRepr(v)).join(", ");
      entries.push(pydantic("union_tag_invalid", loc, `Input tag ${input} found using '${issue.discriminator}' does not match any of the expected tags: ${tags}`, input));
    } else if (issue.code === "invalid_value") {
      const options = issue.values.map((v) => pyRepr(v)).join(" or ");
      entries.push(pydantic("enum", loc, `Input should be ${options}`, input));
    } else entries.push(pydantic(issue.code, loc, issue.message, input));
  }
  return problem(400, `[${entries.join(", ")}]`);
}

function pydantic(type: string, loc: (string | number)[], msg: string, input: string): string {
  return `{'type': '${type}', 'loc': (${loc.map((l) => pyRepr(l)).join(", ")}), 'msg': '${msg}', 'input': ${input}}`;
}

function valueAt(body: unknown, path: PropertyKey[]): unknown {
  let value = body;
  for (const key of path) value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return `[${value.slice(0, 5).map(pyRepr).join(", ")}${value.length > 5 ? ", …" : ""}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `'${k}': ${pyRepr(v)}`)
      .join(", ")}}`;
  return String(value);
}
