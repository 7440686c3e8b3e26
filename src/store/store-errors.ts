/**
 * The errors every store reports the same way, whatever its backend: a collection name
 * that is not portable (400) and a collection opened with another embedding model (409).
 */
import { InvalidRequestError, ModelMismatchError } from "../errors.js";
import { COLLECTION_NAME } from "./vector-store.js";

export interface ModelTag {
  embedModel: string;
  dims: number;
}

export function checkCollectionName(name: string): void {
  if (typeof name !== "string" || !COLLECTION_NAME.test(name)) {
    throw new InvalidRequestError(`Invalid collection name \`${String(name)}\`: use 1 to 64 characters, letters, digits, \`_\` or \`-\`, starting with a letter or digit`);
  }
}

export function modelMismatch(name: string, stored: ModelTag, wanted: ModelTag): ModelMismatchError {
  return new ModelMismatchError(
    `Collection \`${name}\` was built with embedding model \`${stored.embedModel}\` (${stored.dims} dimensions), but the configured model is \`${wanted.embedModel}\` (${wanted.dims} dimensions); ` +
      `vectors from different models cannot be compared. Set EMBED_MODEL=${stored.embedModel} to use this collection, or re-ingest the documents into a new collection.`,
  );
}
