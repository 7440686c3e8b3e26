/**
 * How chunks live in D1 (schema: migrations/0001_store.sql): the row shape, the insert
 * statements (several rows each, within D1's 100 bound parameters per statement), the
 * FTS5 match expression, and lists bound as one JSON parameter. Runtime-agnostic.
 */
import { words } from "./memory-store.js";
import type { D1Database, D1PreparedStatement } from "./cloudflare-bindings.js";
import type { ChunkRecord, DocumentInfo, StoredChunk } from "./vector-store.js";

/** D1 binds at most 100 parameters per statement. */
export const MAX_PARAMS = 100;

export interface ChunkRow {
  id: string;
  document_id: string;
  source: string;
  title: string;
  page: number | null;
  page_end: number | null;
  heading: string;
  chunk_index: number;
  text: string;
  content_hash: string;
  vector_id: string | null;
  ingested_at: number;
}

export const CHUNK_COLUMNS = "id, document_id, source, title, page, page_end, heading, chunk_index, text, content_hash, vector_id, ingested_at";
const INSERT_COLUMNS = ["collection", "id", "document_id", "source", "title", "page", "page_end", "heading", "chunk_index", "text", "terms", "content_hash", "vector_id", "ingested_at"];
const ROWS_PER_INSERT = Math.floor(MAX_PARAMS / INSERT_COLUMNS.length);

export function toStoredChunk(row: ChunkRow): StoredChunk {
  return {
    id: row.id,
    documentId: row.document_id,
    source: row.source,
    title: row.title,
    page: row.page,
    pageEnd: row.page_end,
    heading: row.heading,
    chunkIndex: row.chunk_index,
    text: row.text,
    contentHash: row.content_hash,
    ingestedAt: row.ingested_at,
  };
}

/** The text FTS5 indexes: words as `Intl.Segmenter` splits them (Chinese into words), space-separated. */
export function indexTerms(text: string, segmenter: Intl.Segmenter): string {
  return words(text, segmenter).join(" ");
}

/** Each distinct word of the query as a quoted FTS5 phrase, ORed: never read as query syntax. Empty when there is no word. */
export function matchExpression(text: string, segmenter: Intl.Segmenter): string {
  return [...new Set(words(text, segmenter))].map((w) => `"${w.replace(/"/g, '""')}"`).join(" OR ");
}

/** Insert statements for chunks, several rows each; `vectorIds[i]` is chunk i's vector (null: none). */
export function insertChunks(db: D1Database, collection: string, chunks: ChunkRecord[], vectorIds: (string | null)[], segmenter: Intl.Segmenter): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const row = `(${INSERT_COLUMNS.map(() => "?").join(", ")})`;
  for (let start = 0; start < chunks.length; start += ROWS_PER_INSERT) {
    const part = chunks.slice(start, start + ROWS_PER_INSERT);
    const values = part.flatMap((c, i) => [
      collection,
      c.id,
      c.documentId,
      c.source,
      c.title,
      c.page,
      c.pageEnd,
      c.heading,
      c.chunkIndex,
      c.text,
      indexTerms(c.text, segmenter),
      c.contentHash,
      vectorIds[start + i],
      c.ingestedAt,
    ]);
    statements.push(db.prepare(`INSERT INTO chunks (${INSERT_COLUMNS.join(", ")}) VALUES ${part.map(() => row).join(", ")}`).bind(...values));
  }
  return statements;
}

/** `IN` over a list bound as one JSON parameter: any length, within D1's 100 parameters per statement. */
export const IN_JSON = "(SELECT value FROM json_each(?))";

export interface DocumentRow {
  document_id: string;
  source: string;
  title: string;
  content_hash: string;
  chunks: number;
  embedded: number;
  ingested_at: number;
}

export const DOCUMENT_SELECT =
  "SELECT document_id, MIN(source) AS source, MIN(title) AS title, MIN(content_hash) AS content_hash, COUNT(*) AS chunks, COUNT(vector_id) AS embedded, MAX(ingested_at) AS ingested_at FROM chunks";

export function toDocumentInfo(row: DocumentRow): DocumentInfo {
  return { documentId: row.document_id, source: row.source, title: row.title, contentHash: row.content_hash, chunks: row.chunks, embedded: row.embedded, ingestedAt: row.ingested_at };
}
