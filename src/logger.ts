/**
 * A tiny structured logger: one line per event. Callers pass fields, never secrets
 * or document text; the Node entry prints readable lines or, with LOG_FORMAT=json, one
 * JSON object per line for log shippers; tests pass `silentLogger`.
 */
import type { Config } from "./config.js";
import { configuredSecrets, createRedactor } from "./providers/redact.js";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function format(level: string, message: string, fields?: LogFields): string {
  const parts = [new Date().toISOString(), level, message];
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value !== undefined) parts.push(`${key}=${typeof value === "string" && /\s/.test(value) ? JSON.stringify(value) : value}`);
  }
  return parts.join(" ");
}

function formatJson(level: string, message: string, fields?: LogFields): string {
  return JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields });
}

/**
 * Logs to stderr so stdout stays free for command output. `redact` (the configured secrets'
 * redactor) runs over every line: a last guard should an error message ever carry a key.
 * `style` is LOG_FORMAT: readable lines or one JSON object per line.
 */
export function createConsoleLogger(redact: (text: string) => string = (text) => text, style: "text" | "json" = "text"): Logger {
  const line = style === "json" ? formatJson : format;
  return {
    info: (message, fields) => console.error(redact(line("info", message, fields))),
    warn: (message, fields) => console.error(redact(line("warn", message, fields))),
    error: (message, fields) => console.error(redact(line("error", message, fields))),
  };
}

/** The console logger every entry point uses: the configuration's secrets redacted, in its LOG_FORMAT. */
export function configuredLogger(config: Config): Logger {
  return createConsoleLogger(createRedactor(configuredSecrets(config)), config.LOG_FORMAT);
}
