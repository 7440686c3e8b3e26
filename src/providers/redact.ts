import type { Config } from "../config.js";

/**
 * Removes configured secrets from text that leaves a provider client (error messages,
 * stream errors, log fields, ingest output). A provider may echo the Authorization
 * header whole, cut short, or `\u`-escaped inside JSON, so callers redact text after
 * decoding it, and any run of at least PARTIAL_MIN characters copied from a secret is
 * removed, not only the whole secret.
 */
export type Redactor = (text: string) => string;

/** Shorter runs would match ordinary words; 8 characters of a random key is not a coincidence. */
export const PARTIAL_MIN = 8;
const MASK = "[redacted]";

/** Every secret in the configuration: all provider keys, the service's own API key and the AWS credentials. */
export function configuredSecrets(config: Partial<Config>): string[] {
  return [
    config.NVIDIA_API_KEY,
    config.QINIU_API_KEY,
    config.OPENAI_API_KEY,
    config.EMBED_API_KEY,
    config.RERANK_API_KEY,
    config.OCR_API_KEY,
    config.RAG_API_KEY,
    // Object-storage credentials: an S3 or DynamoDB error may quote the request it refused.
    config.AWS_ACCESS_KEY_ID,
    config.AWS_SECRET_ACCESS_KEY,
    config.AWS_SESSION_TOKEN,
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
}

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length > 0))];
  if (list.length === 0) return (text) => text;
  // Every PARTIAL_MIN-character window of every secret: a text window found here is part of a leak.
  const windows = new Set<string>();
  for (const secret of list) for (let i = 0; i + PARTIAL_MIN <= secret.length; i++) windows.add(secret.slice(i, i + PARTIAL_MIN));
  const short = list.filter((s) => s.length < PARTIAL_MIN);

  return (text) => {
    if (typeof text !== "string" || text.length === 0) return text;
    // JSON string escapes left in text that was not parsed (a cut-off body) are decoded too.
    let out = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    for (const secret of short) out = out.split(secret).join(MASK);
    if (windows.size === 0 || out.length < PARTIAL_MIN) return out;
    // Mark every character covered by a matching window; overlapping windows merge into one span.
    const covered = new Uint8Array(out.length);
    let any = false;
    for (let i = 0; i + PARTIAL_MIN <= out.length; i++) {
      if (windows.has(out.slice(i, i + PARTIAL_MIN))) {
        covered.fill(1, i, i + PARTIAL_MIN);
        any = true;
      }
    }
    if (!any) return out;
    let result = "";
    for (let i = 0; i < out.length; i++) {
      if (!covered[i]) result += out[i];
      else if (i === 0 || !covered[i - 1]) result += MASK;
    }
    return result;
  };
}
