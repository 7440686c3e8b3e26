/**
 * How each door spells an error. askdocs's own routes answer `{"error":{"code","message","details"?}}`;
 * clients of the compatible APIs parse their protocol's shape, so errors under `/openai/`
 * are OpenAI's (`{"error":{"message","type","param","code"}}`, the request id in the
 * `X-Request-Id` header only) and under `/anthropic/` Anthropic's
 * (`{"type":"error","error":{"type","message"},"request_id"}`), auth failures included.
 */
import { AppError, type ErrorDetail } from "../errors.js";

export interface ErrorFacts {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetail[] | undefined;
  /** The request's X-Request-Id, in the bodies of the shapes that carry one. */
  requestId?: string | undefined;
}

/** What a client may learn of an error: an AppError as it is; anything else is askdocs's fault, told without details. */
export function errorFacts(error: Error): ErrorFacts {
  return error instanceof AppError ? { status: error.status, code: error.code, message: error.message, details: error.details } : { status: 500, code: "internal_error", message: "Internal server error" };
}

export type ErrorShape = (error: ErrorFacts) => unknown;

export const askdocsError: ErrorShape = ({ code, message, details, requestId }) => ({ error: { code, message, ...(details ? { details } : {}), ...(requestId ? { request_id: requestId } : {}) } });

/** OpenAI's `type` by status; `code` keeps askdocs's code, `param` names the first bad field. */
function openaiType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

export const openaiError: ErrorShape = ({ status, code, message, details }) => ({
  error: { message, type: openaiType(status), param: details?.[0]?.path ?? null, code },
});

/** Anthropic's error types (docs.anthropic.com/en/api/errors). */
function anthropicType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  return status >= 500 ? "api_error" : "invalid_request_error";
}

export const anthropicError: ErrorShape = ({ status, message, requestId }) => ({ type: "error", error: { type: anthropicType(status), message }, ...(requestId ? { request_id: requestId } : {}) });

/** The shape for a path: the compatible APIs by prefix, askdocs's own otherwise. */
export function errorShapeFor(path: string): ErrorShape {
  if (path === "/openai" || path.startsWith("/openai/")) return openaiError;
  if (path === "/anthropic" || path.startsWith("/anthropic/")) return anthropicError;
  return askdocsError;
}
