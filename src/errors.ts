/**
 * Every error the service reports on purpose is an AppError: it carries the HTTP
 * status and a stable machine-readable code. The HTTP layer maps them to
 * `{"error":{"code","message"}}` in one place; anything else is a logged 500.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: ErrorDetail[];

  constructor(status: number, code: string, message: string, options?: { cause?: unknown; details?: ErrorDetail[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, "invalid_request", message, details ? { details } : undefined);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, "not_found", message);
  }
}

/** A collection opened with an embedding model other than the one that built it. */
export class ModelMismatchError extends AppError {
  constructor(message: string) {
    super(409, "embedding_model_mismatch", message);
  }
}

/** A feature needs a provider whose key or base URL is not set. */
export class NotConfiguredError extends AppError {
  constructor(message: string) {
    super(503, "provider_not_configured", message);
  }
}

/** Invalid configuration found at start-up: the message names the variable and the fix. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}
