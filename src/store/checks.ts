/**
 * The checks every store makes on its input, in one place so that every backend
 * refuses the same bad input with the same message. Collections: a portable name, and
 * the embedding model that built them. Searches: a top-k within the
 * store's limit, a query vector of the right size, filters as lists of strings. Writes: vectors of the collection's size
 * holding finite numbers, chunk ids of the form `documentId:chunkIndex` (unique across
 * documents, so replacing one document can never touch another), no duplicates.
 * Everything is checked before anything is written: a bad call writes nothing.
 */
import { InvalidRequestError, ModelMismatchError } from "../errors.js";
import { type ChunkRecord, COLLECTION_NAME, type DocumentWrite, type SearchOptions } from "./vector-store.js";

const INT32_MAX = 2 ** 31 - 1;

function describe(value: unknown): string {
  return `\`${String(value)}\` (${value === null ? "null" : Array.isArray(value) ? "array" : typeof value})`;
}

/** A wrong length means the embedder and the collection disagree. */
export function checkVector(vector: unknown, dims: number, what: string): Float32Array | number[] {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    throw new InvalidRequestError(`Expected ${what} to be a Float32Array or number[], got ${describe(vector)}`);
  }
  if (vector.length !== dims) {
    throw new InvalidRequestError(`Expected ${what} to have ${dims} dimensions (the collection's embedding size), got ${vector.length}: the embedder and the collection disagree`);
  }
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InvalidRequestError(`Expected ${what} to hold finite numbers, got \`${String(value)}\` at index ${i}`);
    }
  }
  return vector;
}

/** Validates one chunk of `documentId`. */
export function checkChunk(chunk: ChunkRecord, documentId: string, dims: number, position: number): void {
  const at = `chunks[${position}]`;
  if (chunk.documentId !== documentId) {
    throw new InvalidRequestError(`Expected ${at}.documentId to be \`${documentId}\`, got \`${chunk.documentId}\``);
  }
  if (!Number.isInteger(chunk.chunkIndex) || chunk.chunkIndex < 0 || chunk.chunkIndex > INT32_MAX) {
    throw new InvalidRequestError(`Expected ${at}.chunkIndex to be a whole number >= 0, got \`${chunk.chunkIndex}\``);
  }
  const expectedId = `${documentId}:${chunk.chunkIndex}`;
  if (chunk.id !== expectedId) {
    throw new InvalidRequestError(`Expected ${at}.id to be \`${expectedId}\` (documentId:chunkIndex), got \`${chunk.id}\``);
  }
  for (const key of ["page", "pageEnd"] as const) {
    const value = chunk[key];
    if (value !== null && (!Number.isInteger(value) || value < 1 || value > INT32_MAX)) {
      throw new InvalidRequestError(`Expected ${at}.${key} to be a whole number >= 1 or null, got \`${value}\``);
    }
  }
  for (const key of ["source", "title", "heading", "text", "contentHash"] as const) {
    if (typeof chunk[key] !== "string") throw new InvalidRequestError(`Expected ${at}.${key} to be a string, got ${describe(chunk[key])}`);
  }
  if (!Number.isFinite(chunk.ingestedAt)) {
    throw new InvalidRequestError(`Expected ${at}.ingestedAt to be milliseconds since the epoch, got \`${chunk.ingestedAt}\``);
  }
  if (chunk.vector !== null) checkVector(chunk.vector, dims, `${at}.vector`);
}

/** Checks a whole write; returns the ids of the documents it replaces. */
export function checkWrite(documents: DocumentWrite[], dims: number): string[] {
  if (!Array.isArray(documents)) throw new InvalidRequestError(`Expected \`documents\` to be an array, got ${typeof documents}`);
  const ids = new Set<string>();
  documents.forEach(({ documentId, chunks }, d) => {
    if (typeof documentId !== "string" || documentId === "") throw new InvalidRequestError(`Expected a non-empty document id, got \`${String(documentId)}\``);
    if (ids.has(documentId)) throw new InvalidRequestError(`Duplicate document id \`${documentId}\` at documents[${d}]`);
    ids.add(documentId);
    if (!Array.isArray(chunks)) throw new InvalidRequestError(`Expected \`chunks\` to be an array, got ${typeof chunks}`);
    const chunkIds = new Set<string>();
    chunks.forEach((chunk, i) => {
      checkChunk(chunk, documentId, dims, i);
      // Two rows with one id would make a merge's outcome undefined.
      if (chunkIds.has(chunk.id)) throw new InvalidRequestError(`Duplicate chunk id \`${chunk.id}\` at chunks[${i}]`);
      chunkIds.add(chunk.id);
    });
  });
  return [...ids];
}

/** Checks a search's options against the store's largest top-k. */
export function checkSearch(options: SearchOptions, maxTopK: number): void {
  const { topK, documentIds, sources } = options;
  if (!Number.isInteger(topK) || topK < 1 || topK > maxTopK) throw new InvalidRequestError(`Expected \`topK\` to be a whole number from 1 to ${maxTopK}, got \`${String(topK)}\``);
  for (const [key, list] of [
    ["documentIds", documentIds],
    ["sources", sources],
  ] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== "string"))) throw new InvalidRequestError(`Expected \`${key}\` to be an array of strings`);
  }
}

/** Which embedding model built a collection: vectors of different models are not comparable. */
export interface ModelTag {
  embedModel: string;
  dims: number;
}

/** Collection names become table names and namespaces: keep them portable. */
export function checkCollectionName(name: string): void {
  if (typeof name !== "string" || !COLLECTION_NAME.test(name)) {
    throw new InvalidRequestError(`Invalid collection name \`${String(name)}\`: use 1 to 64 characters, letters, digits, \`_\` or \`-\`, starting with a letter or digit`);
  }
}

/** Refuses to open a collection with another model than the one that built it (409). */
export function checkSameModel(name: string, stored: ModelTag, wanted: ModelTag): void {
  if (stored.embedModel === wanted.embedModel && stored.dims === wanted.dims) return;
  const built = `\`${stored.embedModel}\` (${stored.dims} dimensions)`;
  const configured = `\`${wanted.embedModel}\` (${wanted.dims} dimensions)`;
  throw new ModelMismatchError(
    `Collection \`${name}\` was built with embedding model ${built}, but the configured model is ${configured}; ` +
      `vectors from different models cannot be compared. Set EMBED_MODEL=${stored.embedModel} ` +
      `(with its original ${stored.dims} dimensions) to use this collection, or re-ingest the documents into a new collection.`,
  );
}
