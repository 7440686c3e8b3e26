import type { Context } from "hono";
import { AppError, InvalidRequestError } from "../errors.js";

/**
 * Reads a multipart upload without letting a malformed one become a 500: a wrong media
 * type is 415, a missing boundary or a body the parser cannot read (empty, garbage, cut
 * off, a header with a line feed in it) is a 400 naming the body.
 */
export type UploadForm = Record<string, string | File | (string | File)[]>;

const BOUNDARY = /;\s*boundary=(?:"[^"]+"|[^\s;]+)/i;

export async function readUploadForm(c: Context): Promise<UploadForm> {
  const type = c.req.header("content-type") ?? "";
  if (!/^\s*multipart\/form-data\b/i.test(type)) {
    throw new AppError(415, "unsupported_media_type", "Send the file as multipart/form-data with a `file` field.");
  }
  if (!BOUNDARY.test(type)) {
    throw new InvalidRequestError("The multipart Content-Type has no boundary: let the HTTP client set it (curl -F, FormData).", [{ path: "content-type", message: "missing boundary" }]);
  }
  try {
    return (await c.req.parseBody({ all: true })) as UploadForm;
  } catch (error) {
    // The body limit's own error passes through (413), as does a client that went away.
    if (error instanceof AppError || c.req.raw.signal.aborted) throw error;
    throw new InvalidRequestError("The multipart body could not be read: it is empty, cut off or malformed.", [{ path: "body", message: "malformed multipart" }]);
  }
}
