/**
 * The Arrow layout of one askdocs collection table, the embedding-model tag kept in
 * its schema metadata, and the conversions between table rows and ChunkRecord.
 */
import { createRequire } from "node:module";
import type * as Arrow from "apache-arrow";
import type { ChunkRecord, StoredChunk } from "./vector-store.js";
import type { ModelTag } from "./checks.js";

// LanceDB requires Arrow's CommonJS build; an `import` would load its ES build, a second
// copy of ~475 modules (0.1 s more at every start): this module shares LanceDB's.
const { Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Type, Utf8, makeData, vectorFromArray } = createRequire(import.meta.url)("apache-arrow") as typeof Arrow;

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
export const SCALAR_COLUMNS = ["id", "document_id", "source", "title", "page", "page_end", "heading", "chunk_index", "text", "content_hash", "ingested_at"] as const;

/** The columns `listDocuments` needs. */
export const DOCUMENT_COLUMNS = ["document_id", "source", "title", "content_hash", "ingested_at"] as const;

/** LanceDB's name for the score column of a full-text query. */
export const SCORE_COLUMN = "_score";

/** LanceDB's name for the distance column of a vector query. */
export const DISTANCE_COLUMN = "_distance";

export function chunkSchema(tag: ModelTag): Arrow.Schema {
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
export function readModelTag(schema: Arrow.Schema): ModelTag | undefined {
  const embedModel = schema.metadata.get(META_EMBED_MODEL);
  const type = schema.fields.find((field) => field.name === "vector")?.type;
  // typeId, not instanceof: LanceDB (CommonJS) loads its own copy of the apache-arrow classes.
  if (!embedModel || type?.typeId !== Type.FixedSizeList) return undefined;
  // The vector column is the truth for dims; the metadata copy is for people reading the manifest.
  const dims = (type as Arrow.FixedSizeList).listSize;
  return Number.isInteger(dims) && dims > 0 ? { embedModel, dims } : undefined;
}

/**
 * Chunks, already checked (checks.ts), as one Arrow table in the collection's schema, built
 * column by column: the vectors go in as one Float32Array. Handing LanceDB row objects made
 * it fill the vector column number by number, 0.9 s of the main thread's time for 3,172
 * chunks (`npm run bench:ingest -- --only small`, CPU profile).
 */
export function toArrowTable(chunks: ChunkRecord[], tag: ModelTag): Arrow.Table {
  const schema = chunkSchema(tag);
  const { dims } = tag;
  const floats = new Float32Array(chunks.length * dims);
  // Validity bitmap, one bit per row, least significant first (the Arrow layout).
  const valid = new Uint8Array(Math.ceil(chunks.length / 8));
  let nulls = 0;
  chunks.forEach((chunk, row) => {
    if (chunk.vector === null) nulls++;
    else {
      floats.set(chunk.vector, row * dims);
      valid[row >> 3]! |= 1 << (row & 7);
    }
  });
  const item = makeData({ type: new Float32(), length: floats.length, data: floats });
  const vectorType = schema.fields.find((f) => f.name === "vector")!.type as Arrow.FixedSizeList;
  const vector = makeData({ type: vectorType, length: chunks.length, nullCount: nulls, nullBitmap: nulls > 0 ? valid : null, child: item });
  const values: Record<string, (chunk: ChunkRecord) => unknown> = {
    id: (c) => c.id,
    document_id: (c) => c.documentId,
    source: (c) => c.source,
    title: (c) => c.title,
    page: (c) => c.page,
    page_end: (c) => c.pageEnd,
    heading: (c) => c.heading,
    chunk_index: (c) => c.chunkIndex,
    text: (c) => c.text,
    content_hash: (c) => c.contentHash,
    ingested_at: (c) => Math.trunc(c.ingestedAt),
  };
  const children = schema.fields.map((field) => (field.name === "vector" ? vector : vectorFromArray(chunks.map(values[field.name]!), field.type).data[0]!));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: chunks.length, children }));
  return new Table(schema, [batch]);
}

/** Reads one column of a query result; a missing column is a bug, not a data problem. */
export function column(table: Arrow.Table, name: string): { get(index: number): unknown } {
  const vector = table.getChild(name);
  if (vector) return vector;
  // LanceDB 0.37 builds a query's Arrow table from its batches, and a query with no
  // rows has no batches: the result has no schema at all, not the projected columns.
  if (table.numRows === 0) return { get: () => undefined };
  throw new Error(`LanceDB result has no \`${name}\` column`);
}

/** Rows of a projection of SCALAR_COLUMNS, as StoredChunk. */
export function readChunks(table: Arrow.Table): StoredChunk[] {
  const get = Object.fromEntries(SCALAR_COLUMNS.map((name) => [name, column(table, name)])) as Record<(typeof SCALAR_COLUMNS)[number], { get(index: number): unknown }>;
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
