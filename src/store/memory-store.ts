/**
 * An exact in-memory implementation of the store contract: brute-force cosine search
 * and Okapi BM25 (k1 1.2, b 0.75) over words segmented with `Intl.Segmenter`, which
 * splits Chinese into words with the same ICU data LanceDB's tokenizer uses. Fast unit
 * tests run on it, and the contract suite holds it to the same rules as LanceDB. It is
 * not a mock: every search is computed, nothing is scripted. Runtime-agnostic.
 */
import { NotFoundError } from "../errors.js";
import { checkCollectionName, checkSameModel, checkSearch, checkVector, checkWrite } from "./checks.js";
import type { ChunkRecord, Collection, CollectionInfo, DocumentInfo, SearchHit, SearchOptions, StoredChunk, StoreCapabilities, VectorStore } from "./vector-store.js";

const BM25_K1 = 1.2;
const BM25_B = 0.75;

interface Row {
  chunk: StoredChunk;
  vector: Float32Array | null;
  /** Term frequencies of the chunk's text. */
  terms: Map<string, number>;
  length: number;
}

interface Table {
  embedModel: string;
  dims: number;
  /** Chunk rows by chunk id, in insertion order. */
  rows: Map<string, Row>;
}

const segmenter = () => new Intl.Segmenter("zh", { granularity: "word" });

/** Lower-cased word segments; punctuation and spaces dropped. */
export function words(text: string, words = segmenter()): string[] {
  const out: string[] = [];
  for (const s of words.segment(text.toLowerCase())) if (s.isWordLike) out.push(s.segment);
  return out;
}

export interface MemoryStoreOptions {
  /** Largest top-k a search returns (default 1000, as LanceDB's). */
  maxTopK?: number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): VectorStore {
  const capabilities: StoreCapabilities = { keywordSearch: true, segmentsChinese: true, maxTopK: options.maxTopK ?? 1000, readsOwnWrites: true };
  const tables = new Map<string, Table>();
  const seg = segmenter();
  let closed = false;

  function tableOf(name: string): Table {
    if (closed) throw new Error("The memory store is closed");
    checkCollectionName(name);
    const table = tables.get(name);
    if (!table) throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
    return table;
  }

  function collectionOf(name: string, table: Table): Collection {
    const { embedModel, dims } = table;
    return {
      name,
      embedModel,
      dims,

      async writeDocuments(documents) {
        const ids = new Set(checkWrite(documents, dims));
        const rows = documents.flatMap((d) => d.chunks.map((chunk) => toRow(chunk, seg)));
        for (const [id, row] of table.rows) if (ids.has(row.chunk.documentId)) table.rows.delete(id);
        for (const row of rows) table.rows.set(row.chunk.id, row);
      },

      async deleteDocument(documentId) {
        let deleted = false;
        for (const [id, row] of table.rows) {
          if (row.chunk.documentId !== documentId) continue;
          table.rows.delete(id);
          deleted = true;
        }
        return deleted;
      },

      async listDocuments() {
        return documentsOf(table);
      },

      async getDocument(documentId) {
        return documentsOf(table).find((d) => d.documentId === documentId);
      },

      async vectorSearch(vector, searchOptions) {
        const query = normalised(Float32Array.from(checkVector(vector, dims, "the query vector")));
        const hits: SearchHit[] = [];
        for (const row of filtered(table, searchOptions, capabilities)) {
          if (row.vector) hits.push({ ...row.chunk, score: dot(query, row.vector) });
        }
        return best(hits, searchOptions.topK);
      },

      async keywordSearch(text, searchOptions) {
        const rows = filtered(table, searchOptions, capabilities);
        const query = [...new Set(words(text, seg))];
        if (query.length === 0 || rows.length === 0) return [];
        // Statistics over the whole collection, as a full-text index keeps them.
        const all = [...table.rows.values()];
        const averageLength = all.reduce((n, r) => n + r.length, 0) / all.length;
        const idf = new Map(
          query.map((term) => {
            const containing = all.filter((r) => r.terms.has(term)).length;
            return [term, Math.log(1 + (all.length - containing + 0.5) / (containing + 0.5))];
          }),
        );
        const hits: SearchHit[] = [];
        for (const row of rows) {
          let score = 0;
          for (const term of query) {
            const tf = row.terms.get(term);
            if (tf) score += idf.get(term)! * ((tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * row.length) / averageLength)));
          }
          if (score > 0) hits.push({ ...row.chunk, score });
        }
        return best(hits, searchOptions.topK);
      },

      async count() {
        return table.rows.size;
      },
    };
  }

  return {
    capabilities,

    async openCollection(name, open) {
      if (closed) throw new Error("The memory store is closed");
      checkCollectionName(name);
      let table = tables.get(name);
      if (!table) {
        if (open.create === false) throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
        table = { embedModel: open.embedModel, dims: open.dims, rows: new Map() };
        tables.set(name, table);
      }
      checkSameModel(name, table, open);
      return collectionOf(name, table);
    },

    async openExistingCollection(name) {
      return collectionOf(name, tableOf(name));
    },

    async listCollections() {
      const infos: CollectionInfo[] = [];
      for (const [name, table] of tables) {
        infos.push({ name, embedModel: table.embedModel, dims: table.dims, documents: documentsOf(table).length, chunks: table.rows.size });
      }
      return infos.sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async dropCollection(name) {
      checkCollectionName(name);
      return tables.delete(name);
    },

    async close() {
      closed = true;
      tables.clear();
    },
  };
}

/** One chunk, already checked (checks.ts), with its terms counted. */
function toRow(record: ChunkRecord, seg: Intl.Segmenter): Row {
  const { vector, ...chunk } = record;
  const terms = new Map<string, number>();
  const list = words(chunk.text, seg);
  for (const term of list) terms.set(term, (terms.get(term) ?? 0) + 1);
  return { chunk: { ...chunk }, vector: vector ? normalised(Float32Array.from(vector)) : null, terms, length: list.length };
}

function filtered(table: Table, options: SearchOptions, capabilities: StoreCapabilities): Row[] {
  checkSearch(options, capabilities.maxTopK);
  const ids = options.documentIds ? new Set(options.documentIds) : undefined;
  const paths = options.sources ? new Set(options.sources) : undefined;
  return [...table.rows.values()].filter((r) => (!ids || ids.has(r.chunk.documentId)) && (!paths || paths.has(r.chunk.source)));
}

function best(hits: SearchHit[], topK: number): SearchHit[] {
  // Ties by id: the order must not depend on insertion order.
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, topK);
}

function normalised(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((x) => x / norm) : vector;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function documentsOf(table: Table): DocumentInfo[] {
  const documents = new Map<string, DocumentInfo>();
  for (const { chunk, vector } of table.rows.values()) {
    const known = documents.get(chunk.documentId);
    if (known) {
      known.chunks += 1;
      known.embedded += vector ? 1 : 0;
      known.ingestedAt = Math.max(known.ingestedAt, chunk.ingestedAt);
    } else {
      documents.set(chunk.documentId, { documentId: chunk.documentId, source: chunk.source, title: chunk.title, contentHash: chunk.contentHash, chunks: 1, embedded: vector ? 1 : 0, ingestedAt: chunk.ingestedAt });
    }
  }
  return [...documents.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.documentId < b.documentId ? -1 : 1));
}
