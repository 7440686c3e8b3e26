/**
 * One askdocs collection on a LanceDB table: one-commit writes of whole documents,
 * listing, vector and keyword search (lance-search.ts) and upkeep (lance-upkeep.ts).
 */
import type { Table } from "@lancedb/lancedb";
import { InvalidRequestError } from "../errors.js";
import { type ModelTag, checkWrite } from "./checks.js";
import { DOCUMENT_COLUMNS, column, toArrowTable } from "./lance-schema.js";
import { keywordSearch, vectorSearch } from "./lance-search.js";
import { type UpkeepOptions, hasIndexOn, maintain } from "./lance-upkeep.js";
import { sqlEquals, sqlIn } from "./sql-filter.js";
import type { Collection, DocumentInfo } from "./vector-store.js";

export interface CollectionContext {
  upkeep: UpkeepOptions;
  /** Runs a search within the store's concurrency limit. */
  limitSearch: <T>(search: () => Promise<T>) => Promise<T>;
}

export function createCollection(name: string, tag: ModelTag, table: Table, context: CollectionContext): Collection {
  const { upkeep, limitSearch } = context;
  const { embedModel, dims } = tag;
  /** Query settings apply only once the vector index exists. */
  const tuning = async () => ((await hasIndexOn(table, "vector")) ? upkeep.vectorIndex.tuning : undefined);

  return {
    name,
    embedModel,
    dims,

    async writeDocuments(documents) {
      const ids = checkWrite(documents, dims);
      if (ids.length === 0) return;
      const chunks = documents.flatMap((d) => d.chunks);
      const ofDocuments = sqlIn("document_id", ids);
      if (chunks.length === 0) {
        await table.delete(ofDocuments);
        return;
      }
      // One merge = one commit for every document of the call: matched ids are rewritten,
      // new ids inserted, and these documents' rows missing from `rows` deleted, so a reader
      // sees each document old or new, never a mix.
      await table.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().whenNotMatchedBySourceDelete({ where: ofDocuments }).execute(toArrowTable(chunks, tag));
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

    async vectorSearch(vector, options) {
      return limitSearch(async () => vectorSearch(table, vector, dims, options, await tuning()));
    },

    async keywordSearch(text, options) {
      return limitSearch(() => keywordSearch(table, text, options));
    },

    async upkeep() {
      return maintain(table, upkeep);
    },

    async count() {
      return table.countRows();
    },
  };
}

/** One entry per document, aggregated from the scalar columns only. */
async function documentsOf(table: Table, where?: string): Promise<DocumentInfo[]> {
  let query = table.query().select({ ...Object.fromEntries(DOCUMENT_COLUMNS.map((c) => [c, c])), has_vector: "vector IS NOT NULL" });
  if (where) query = query.where(where);
  const result = await query.toArrow();
  const ids = column(result, "document_id");
  const sources = column(result, "source");
  const titles = column(result, "title");
  const hashes = column(result, "content_hash");
  const times = column(result, "ingested_at");
  const embedded = column(result, "has_vector");
  const documents = new Map<string, DocumentInfo>();
  for (let i = 0; i < result.numRows; i++) {
    const documentId = String(ids.get(i));
    const ingestedAt = Number(times.get(i));
    const hasVector = embedded.get(i) ? 1 : 0;
    const known = documents.get(documentId);
    if (known) {
      known.chunks += 1;
      known.embedded += hasVector;
      known.ingestedAt = Math.max(known.ingestedAt, ingestedAt);
    } else {
      documents.set(documentId, {
        documentId,
        source: String(sources.get(i)),
        title: String(titles.get(i)),
        contentHash: String(hashes.get(i)),
        chunks: 1,
        embedded: hasVector,
        ingestedAt,
      });
    }
  }
  return [...documents.values()].sort((a, b) => compare(a.source, b.source) || compare(a.documentId, b.documentId));
}

export async function countDocuments(table: Table): Promise<number> {
  const result = await table.query().select(["document_id"]).toArrow();
  const ids = column(result, "document_id");
  const seen = new Set<string>();
  for (let i = 0; i < result.numRows; i++) seen.add(String(ids.get(i)));
  return seen.size;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkDocumentId(documentId: string): void {
  if (typeof documentId !== "string" || documentId === "") {
    throw new InvalidRequestError(`Expected a non-empty document id, got \`${String(documentId)}\``);
  }
}
