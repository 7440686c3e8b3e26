import { AppError } from "../../src/errors.js";

export type LoadFailure = "unsupported" | "encrypted" | "no_text" | "corrupt" | "undecodable" | "empty" | "timeout" | "ocr_failed";

const CODES: Record<LoadFailure, string> = {
  unsupported: "unsupported_type",
  encrypted: "encrypted_pdf",
  no_text: "no_text",
  corrupt: "corrupt_file",
  undecodable: "undecodable_text",
  empty: "empty_document",
  timeout: "load_timeout",
  ocr_failed: "ocr_failed",
};

/** A document that cannot be ingested: 415 for a type we do not read, 422 for a file we cannot use. */
export class LoadError extends AppError {
  readonly reason: LoadFailure;

  constructor(reason: LoadFailure, message: string, options?: { cause?: unknown }) {
    super(reason === "unsupported" ? 415 : 422, CODES[reason], message, options);
    this.reason = reason;
  }
}
