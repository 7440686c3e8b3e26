/**
 * The Arrow layout of one askdocs collection table, the embedding-model tag kept in
 * its schema metadata, and the conversions between table rows and ChunkRecord.
 */
import { Field, FixedSizeList, Float32, Int32, Schema, TimestampMillisecond, Type, Utf8 } from "apache-arrow";
import type { Table as ArrowTable } from "apache-arrow";
import { InvalidRequestError } from "../errors.js";
import type { ChunkRecord, StoredChunk } from "./vector-store.js";

/** Which embedding model built a collection: vectors of different models are not comparable. */
export interface ModelTag {
  embedModel: string;
  dims: number;
}

/**
 * Schema-metadata keys. LanceDB 0.37 keeps schema metadata in the table manifest,
 * across reopen and every later write (covered by test/lance-store.test.ts).
 */
const META_FORMAT = "askdocs.format";
const META_EMBED_MODEL = "askdocs.embed_model";
const META_DIMS = "askdocs.dims";
/** Bump when the column layout changes, so an old table can be recognised. */
const FORMAT_VERSION = "2";

/** Every column except `vector`: what reads project, so vectors are never loaded needlessly. */
export const SCALAR_COLUMNS = [
  "id",
  "document_id",
  "source",
  "title",
  "page",
  "page_end",
  "heading",
  "chunk_index",
  "text",
  "content_hash",
  "ingested_at",
] as const;

/** The columns `listDocuments` needs. */
export const DOCUMENT_COLUMNS = ["document_id", "source", "title", "content_hash", "ingested_at"] as const;

/** LanceDB's name for the score column of a full-text query. */
export const SCORE_COLUMN = "_score";

/** LanceDB's name for the distance column of a vector query. */
export const DISTANCE_COLUMN = "_distance";

export function chunkSchema(tag: ModelTag): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  return new Schema(
    [
      text("id"),
      text("document_id"),
      text("source"),
      text("title"),
      new Field("page", new Int32(), true),
      new Field("page_end", new Int32(), true),
      text("heading"),
      new Field("chunk_index", new Int32(), false),
      text("text"),
      text("content_hash"),
      // Nullable: a chunk ingested without an embedding provider is found by keyword until embedded.
      new Field("vector", new FixedSizeList(tag.dims, new Field("item", new Float32(), true)), true),
      new Field("ingested_at", new TimestampMillisecond(), false),
    ],
    new Map([
      [META_FORMAT, FORMAT_VERSION],
      [META_EMBED_MODEL, tag.embedModel],
      [META_DIMS, String(tag.dims)],
    ]),
  );
}

/** The tag of a table askdocs created; undefined for any other table. */
export function readModelTag(schema: Schema): ModelTag | undefined {
  const embedModel = schema.metadata.get(META_EMBED_MODEL);
  const type = schema.fields.find((field) => field.name === "vector")?.type;
  // typeId, not instanceof: LanceDB (CommonJS) loads its own copy of the apache-arrow classes.
  if (!embedModel || type?.typeId !== Type.FixedSizeList) return undefined;
  // The vector column is the truth for dims; the metadata copy is for people reading the manifest.
  const dims = (type as FixedSizeList).listSize;
  return Number.isInteger(dims) && dims > 0 ? { embedModel, dims } : undefined;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Checks a vector against the collection's dimension and returns it in a form
 * LanceDB accepts. A wrong length means the embedder and the collection disagree.
 */
export function checkVector(vector: unknown, dims: number, what: string): Float32Array | number[] {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    throw new InvalidRequestError(`Expected ${what} to be a Float32Array or number[], got ${describe(vector)}`);
  }
  if (vector.length !== dims) {
    throw new InvalidRequestError(
      `Expected ${what} to have ${dims} dimensions (the collection's embedding size), got ${vector.length}: the embedder and the collection disagree`,
    );
  }
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InvalidRequestError(`Expected ${what} to hold finite numbers, got \`${String(value)}\` at index ${i}`);
    }
  }
  return vector;
}

/** Validates one chunk of `documentId` and converts it to a table row (snake_case columns). */
export function toRow(chunk: ChunkRecord, documentId: string, dims: number, position: number): Record<string, unknown> {
  const at = `chunks[${position}]`;
  if (chunk.documentId !== documentId) {
    throw new InvalidRequestError(`Expected ${at}.documentId to be \`${documentId}\`, got \`${chunk.documentId}\``);
  }
  if (!Number.isInteger(chunk.chunkIndex) || chunk.chunkIndex < 0 || chunk.chunkIndex > INT32_MAX) {
    throw new InvalidRequestError(`Expected ${at}.chunkIndex to be a whole number >= 0, got \`${chunk.chunkIndex}\``);
  }
  // The id format keeps ids unique across documents, so merging on `id` can never touch another document.
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
    if (typeof chunk[key] !== "string") {
      throw new InvalidRequestError(`Expected ${at}.${key} to be a string, got ${describe(chunk[key])}`);
    }
  }
  if (!Number.isFinite(chunk.ingestedAt)) {
    throw new InvalidRequestError(`Expected ${at}.ingestedAt to be milliseconds since the epoch, got \`${chunk.ingestedAt}\``);
  }
  return {
    id: chunk.id,
    document_id: chunk.documentId,
    source: chunk.source,
    title: chunk.title,
    page: chunk.page,
    page_end: chunk.pageEnd,
    heading: chunk.heading,
    chunk_index: chunk.chunkIndex,
    text: chunk.text,
    content_hash: chunk.contentHash,
    vector: chunk.vector === null ? null : checkVector(chunk.vector, dims, `${at}.vector`),
    ingested_at: Math.trunc(chunk.ingestedAt),
  };
}

/** Reads one column of a query result; a missing column is a bug, not a data problem. */
export function column(table: ArrowTable, name: string): { get(index: number): unknown } {
  const vector = table.getChild(name);
  if (vector) return vector;
  // LanceDB 0.37 builds a query's Arrow table from its batches, and a query with no
  // rows has no batches: the result has no schema at all, not the projected columns.
  if (table.numRows === 0) return { get: () => undefined };
  throw new Error(`LanceDB result has no \`${name}\` column`);
}

/** Rows of a projection of SCALAR_COLUMNS, as StoredChunk. */
export function readChunks(table: ArrowTable): StoredChunk[] {
  const get = Object.fromEntries(SCALAR_COLUMNS.map((name) => [name, column(table, name)])) as Record<
    (typeof SCALAR_COLUMNS)[number],
    { get(index: number): unknown }
  >;
  const chunks: StoredChunk[] = [];
  for (let i = 0; i < table.numRows; i++) {
    chunks.push({
      id: String(get.id.get(i)),
      documentId: String(get.document_id.get(i)),
      source: String(get.source.get(i)),
      title: String(get.title.get(i)),
      page: nullableNumber(get.page.get(i)),
      pageEnd: nullableNumber(get.page_end.get(i)),
      heading: String(get.heading.get(i)),
      chunkIndex: Number(get.chunk_index.get(i)),
      text: String(get.text.get(i)),
      contentHash: String(get.content_hash.get(i)),
      ingestedAt: Number(get.ingested_at.get(i)),
    });
  }
  return chunks;
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function describe(value: unknown): string {
  return `\`${String(value)}\` (${value === null ? "null" : Array.isArray(value) ? "array" : typeof value})`;
}
