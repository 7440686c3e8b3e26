/**
 * The Node implementation of VectorStore on LanceDB: one table per collection, the
 * embedding model recorded in the table's schema metadata (see lance-schema.ts).
 */
import { connect } from "@lancedb/lancedb";
import type { Connection, Table } from "@lancedb/lancedb";
import { InvalidRequestError, ModelMismatchError, NotFoundError } from "../errors.js";
import {
  DISTANCE_COLUMN,
  DOCUMENT_COLUMNS,
  SCALAR_COLUMNS,
  checkVector,
  chunkSchema,
  column,
  readChunks,
  readModelTag,
  toRow,
} from "./lance-schema.js";
import type { ModelTag } from "./lance-schema.js";
import { sqlEquals, sqlIn } from "./sql-filter.js";
import { COLLECTION_NAME } from "./vector-store.js";
import type {
  ChunkRecord,
  Collection,
  CollectionInfo,
  DocumentInfo,
  OpenCollectionOptions,
  SearchHit,
  SearchOptions,
  VectorStore,
} from "./vector-store.js";

export interface LanceStoreOptions {
  /** Database directory or object-store URI (`LANCEDB_URI`; config defaults it to `data/lancedb`). */
  uri: string;
  /**
   * Seconds between checks for writes made by other processes (e.g. `askdocs ingest`
   * while the server runs). Default 0: every read sees the latest commit. Without
   * it LanceDB never looks, and a cached table handle keeps serving its old version.
   */
  readConsistencySeconds?: number;
}

export async function openLanceStore(options: LanceStoreOptions): Promise<VectorStore> {
  const { uri, readConsistencySeconds = 0 } = options;
  if (typeof uri !== "string" || uri.trim() === "") {
    throw new TypeError(`Expected \`uri\` to be a non-empty string, got \`${String(uri)}\` (${typeof uri})`);
  }
  if (typeof readConsistencySeconds !== "number" || !Number.isFinite(readConsistencySeconds) || readConsistencySeconds < 0) {
    throw new TypeError(
      `Expected \`readConsistencySeconds\` to be a finite number >= 0, got \`${String(readConsistencySeconds)}\` (${typeof readConsistencySeconds})`,
    );
  }
  const connection = await connect(uri, { readConsistencyInterval: readConsistencySeconds });
  return createLanceStore(connection);
}

function createLanceStore(connection: Connection): VectorStore {
  /** Open table handles by collection name; a promise so concurrent opens share one. */
  const tables = new Map<string, Promise<Table>>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error("The LanceDB store is closed");
  }

  function cached(name: string, load: () => Promise<Table>): Promise<Table> {
    let table = tables.get(name);
    if (!table) {
      const loading = load();
      tables.set(name, loading);
      loading.catch(() => {
        if (tables.get(name) === loading) tables.delete(name);
      });
      table = loading;
    }
    return table;
  }

  async function exists(name: string): Promise<boolean> {
    return (await connection.tableNames()).includes(name);
  }

  async function create(name: string, tag: ModelTag): Promise<Table> {
    try {
      return await connection.createEmptyTable(name, chunkSchema(tag), { mode: "create", existOk: false });
    } catch (error) {
      // Another process created it first: open theirs, and let the model check judge it.
      if (await exists(name)) return connection.openTable(name);
      throw error;
    }
  }

  return {
    async openCollection(name, options) {
      assertOpen();
      checkCollectionName(name);
      const wanted = checkOpenOptions(options);
      let table: Table;
      if (tables.has(name) || (await exists(name))) {
        table = await cached(name, () => connection.openTable(name));
      } else if (options.create === false) {
        throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
      } else {
        table = await cached(name, () => create(name, wanted));
      }
      const stored = readModelTag(await table.schema());
      if (!stored) {
        throw new ModelMismatchError(
          `Collection \`${name}\` has no embedding-model record (it was not created by askdocs): re-ingest the documents into a new collection`,
        );
      }
      checkSameModel(name, stored, wanted);
      return createCollection(name, stored, table);
    },

    async listCollections() {
      assertOpen();
      const infos: CollectionInfo[] = [];
      for (const name of await connection.tableNames()) {
        if (!COLLECTION_NAME.test(name)) continue;
        const table = await cached(name, () => connection.openTable(name));
        const tag = readModelTag(await table.schema());
        // Tables askdocs did not create are not collections.
        if (!tag) continue;
        const [documents, chunks] = await Promise.all([countDocuments(table), table.countRows()]);
        infos.push({ name, embedModel: tag.embedModel, dims: tag.dims, documents, chunks });
      }
      return infos;
    },

    async dropCollection(name) {
      assertOpen();
      checkCollectionName(name);
      const table = tables.get(name);
      tables.delete(name);
      await table?.then((t) => t.close(), () => undefined);
      if (!(await exists(name))) return false;
      await connection.dropTable(name);
      return true;
    },

    async close() {
      if (closed) return;
      closed = true;
      const open = [...tables.values()];
      tables.clear();
      for (const table of await Promise.allSettled(open)) {
        if (table.status === "fulfilled") table.value.close();
      }
      connection.close();
    },
  };
}

function createCollection(name: string, tag: ModelTag, table: Table): Collection {
  const { embedModel, dims } = tag;

  return {
    name,
    embedModel,
    dims,

    async replaceDocument(documentId, chunks) {
      checkDocumentId(documentId);
      const rows = toRows(documentId, chunks, dims);
      const ofDocument = sqlEquals("document_id", documentId);
      if (rows.length === 0) {
        await table.delete(ofDocument);
        return;
      }
      // One merge = one commit: matched ids are rewritten, new ids inserted, and this
      // document's rows missing from `rows` deleted, so a reader sees old or new, never a mix.
      await table
        .mergeInsert("id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .whenNotMatchedBySourceDelete({ where: ofDocument })
        .execute(rows);
    },

    async deleteDocument(documentId) {
      checkDocumentId(documentId);
      const result = await table.delete(sqlEquals("document_id", documentId));
      return result.numDeletedRows > 0;
    },

    async listDocuments() {
      return documentsOf(table);
    },

    async getDocument(documentId) {
      checkDocumentId(documentId);
      const [document] = await documentsOf(table, sqlEquals("document_id", documentId));
      return document;
    },

    async search(vector, options) {
      const query = checkVector(vector, dims, "the query vector");
      const { topK, documentIds, sources } = checkSearchOptions(options);
      const filters: string[] = [];
      // An empty list restricts to nothing, as the contract reads.
      if (documentIds) {
        if (documentIds.length === 0) return [];
        filters.push(sqlIn("document_id", documentIds));
      }
      if (sources) {
        if (sources.length === 0) return [];
        filters.push(sqlIn("source", sources));
      }
      let search = table
        .vectorSearch(query)
        .distanceType("cosine")
        .select([...SCALAR_COLUMNS, DISTANCE_COLUMN])
        .limit(topK);
      // A vector query prefilters by default: topK hits among the matching rows.
      if (filters.length > 0) search = search.where(filters.join(" AND "));
      const result = await search.toArrow();
      const distance = column(result, DISTANCE_COLUMN);
      const hits: SearchHit[] = readChunks(result).map((chunk, i) => ({ ...chunk, score: 1 - Number(distance.get(i)) }));
      return hits.sort((a, b) => b.score - a.score);
    },

    async count() {
      return table.countRows();
    },
  };
}

/** One entry per document, aggregated from the scalar columns only. */
async function documentsOf(table: Table, where?: string): Promise<DocumentInfo[]> {
  let query = table.query().select([...DOCUMENT_COLUMNS]);
  if (where) query = query.where(where);
  const result = await query.toArrow();
  const ids = column(result, "document_id");
  const sources = column(result, "source");
  const titles = column(result, "title");
  const hashes = column(result, "content_hash");
  const times = column(result, "ingested_at");
  const documents = new Map<string, DocumentInfo>();
  for (let i = 0; i < result.numRows; i++) {
    const documentId = String(ids.get(i));
    const ingestedAt = Number(times.get(i));
    const known = documents.get(documentId);
    if (known) {
      known.chunks += 1;
      known.ingestedAt = Math.max(known.ingestedAt, ingestedAt);
    } else {
      documents.set(documentId, {
        documentId,
        source: String(sources.get(i)),
        title: String(titles.get(i)),
        contentHash: String(hashes.get(i)),
        chunks: 1,
        ingestedAt,
      });
    }
  }
  return [...documents.values()].sort(
    (a, b) => compare(a.source, b.source) || compare(a.documentId, b.documentId),
  );
}

async function countDocuments(table: Table): Promise<number> {
  const result = await table.query().select(["document_id"]).toArrow();
  const ids = column(result, "document_id");
  const seen = new Set<string>();
  for (let i = 0; i < result.numRows; i++) seen.add(String(ids.get(i)));
  return seen.size;
}

function toRows(documentId: string, chunks: ChunkRecord[], dims: number): Record<string, unknown>[] {
  if (!Array.isArray(chunks)) throw new InvalidRequestError(`Expected \`chunks\` to be an array, got ${typeof chunks}`);
  const ids = new Set<string>();
  return chunks.map((chunk, i) => {
    const row = toRow(chunk, documentId, dims, i);
    // Two source rows with one id would make the merge's outcome undefined.
    if (ids.has(chunk.id)) throw new InvalidRequestError(`Duplicate chunk id \`${chunk.id}\` at chunks[${i}]`);
    ids.add(chunk.id);
    return row;
  });
}

function checkCollectionName(name: string): void {
  if (typeof name !== "string" || !COLLECTION_NAME.test(name)) {
    throw new InvalidRequestError(
      `Invalid collection name \`${String(name)}\`: use 1 to 64 characters, letters, digits, \`_\` or \`-\`, starting with a letter or digit`,
    );
  }
}

function checkDocumentId(documentId: string): void {
  if (typeof documentId !== "string" || documentId === "") {
    throw new InvalidRequestError(`Expected a non-empty document id, got \`${String(documentId)}\``);
  }
}

function checkOpenOptions(options: OpenCollectionOptions): ModelTag {
  const { embedModel, dims } = options;
  if (typeof embedModel !== "string" || embedModel === "") {
    throw new TypeError(`Expected \`embedModel\` to be a non-empty string, got \`${String(embedModel)}\` (${typeof embedModel})`);
  }
  if (typeof dims !== "number" || !Number.isInteger(dims) || dims < 1) {
    throw new TypeError(`Expected \`dims\` to be a whole number >= 1, got \`${String(dims)}\` (${typeof dims})`);
  }
  return { embedModel, dims };
}

function checkSameModel(name: string, stored: ModelTag, wanted: ModelTag): void {
  if (stored.embedModel === wanted.embedModel && stored.dims === wanted.dims) return;
  const built = `\`${stored.embedModel}\` (${stored.dims} dimensions)`;
  const configured = `\`${wanted.embedModel}\` (${wanted.dims} dimensions)`;
  throw new ModelMismatchError(
    `Collection \`${name}\` was built with embedding model ${built}, but the configured model is ${configured}; ` +
      `vectors from different models cannot be compared. Set EMBED_MODEL=${stored.embedModel} ` +
      `(with its original ${stored.dims} dimensions) to use this collection, or re-ingest the documents into a new collection.`,
  );
}

function checkSearchOptions(options: SearchOptions): SearchOptions {
  const { topK, documentIds, sources } = options;
  if (!Number.isInteger(topK) || topK < 1) {
    throw new InvalidRequestError(`Expected \`topK\` to be a whole number >= 1, got \`${String(topK)}\``);
  }
  for (const [key, list] of [["documentIds", documentIds], ["sources", sources]] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== "string"))) {
      throw new InvalidRequestError(`Expected \`${key}\` to be an array of strings`);
    }
  }
  return options;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
