/**
 * The store contract on Cloudflare: chunks, documents and the FTS5 keyword index in D1,
 * vectors in Vectorize (one namespace per collection; metadata carries the document and
 * chunk ids). D1 is the source of truth: a vector search asks Vectorize for ids, then
 * reads the chunks from D1 and drops any id D1 no longer holds. Each write gives every
 * chunk a fresh random vector id, upserts the vectors first, then swaps the document's
 * rows in one D1 transaction, then deletes the old vectors. Vectorize shows writes after
 * a delay, so a replaced document is briefly missing from vector search, never shown
 * twice or mixed with its old version. Capabilities: top-k at most 100 (Vectorize's
 * limit without metadata or values), no read-your-writes for vectors, Chinese split
 * into words by `Intl.Segmenter` before FTS5 indexes them. Runtime-agnostic.
 */
import { NotFoundError } from "../errors.js";
import { checkCollectionName, checkSameModel, checkSearch, checkVector, checkWrite } from "./checks.js";
import { type D1Database, VECTORIZE_LIMITS, type VectorizeFilter, type VectorizeIndex } from "./cloudflare-bindings.js";
import { CHUNK_COLUMNS, type ChunkRow, DOCUMENT_SELECT, type DocumentRow, IN_JSON, insertChunks, matchExpression, toDocumentInfo, toStoredChunk } from "./cloudflare-rows.js";
import type { Collection, CollectionInfo, DocumentWrite, SearchHit, SearchOptions, StoreCapabilities, VectorStore } from "./vector-store.js";

export interface CloudflareStoreOptions {
  db: D1Database;
  vectors: VectorizeIndex;
}

/** Extra ids asked of Vectorize beyond top-k, so that ids D1 has dropped (replaced, deleted) do not shorten the result. */
const STALE_MARGIN = 20;

export function createCloudflareStore(options: CloudflareStoreOptions): VectorStore {
  const { db, vectors } = options;
  const capabilities: StoreCapabilities = { keywordSearch: true, segmentsChinese: true, maxTopK: VECTORIZE_LIMITS.topK, readsOwnWrites: false };
  const segmenter = new Intl.Segmenter("zh", { granularity: "word" });

  async function tagOf(name: string): Promise<{ embed_model: string; dims: number } | null> {
    return db.prepare("SELECT embed_model, dims FROM collections WHERE name = ?").bind(name).first<{ embed_model: string; dims: number }>();
  }

  async function vectorIdsOf(name: string, documentIds?: string[]): Promise<string[]> {
    const statement = documentIds
      ? db.prepare(`SELECT vector_id FROM chunks WHERE collection = ? AND vector_id IS NOT NULL AND document_id IN ${IN_JSON}`).bind(name, JSON.stringify(documentIds))
      : db.prepare("SELECT vector_id FROM chunks WHERE collection = ? AND vector_id IS NOT NULL").bind(name);
    return (await statement.all<{ vector_id: string }>()).results.map((r) => r.vector_id);
  }

  async function deleteVectors(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += VECTORIZE_LIMITS.batch) await vectors.deleteByIds(ids.slice(i, i + VECTORIZE_LIMITS.batch));
  }

  /** The documents a search may return, or undefined for all of them. */
  async function allowedDocuments(name: string, options: SearchOptions): Promise<string[] | undefined> {
    if (!options.sources) return options.documentIds;
    const { results } = await db.prepare(`SELECT DISTINCT document_id FROM chunks WHERE collection = ? AND source IN ${IN_JSON}`).bind(name, JSON.stringify(options.sources)).all<{ document_id: string }>();
    const found = new Set(results.map((r) => r.document_id));
    return options.documentIds ? options.documentIds.filter((id) => found.has(id)) : [...found];
  }

  function collectionOf(name: string, embedModel: string, dims: number): Collection {
    return {
      name,
      embedModel,
      dims,

      async writeDocuments(documents: DocumentWrite[]) {
        const documentIds = checkWrite(documents, dims);
        if (documents.length === 0) return;
        const oldVectors = await vectorIdsOf(name, documentIds);
        const chunks = documents.flatMap((d) => d.chunks);
        const vectorIds = chunks.map((c) => (c.vector ? crypto.randomUUID() : null));
        const upserts = chunks.flatMap((c, i) => (c.vector ? [{ id: vectorIds[i]!, values: Array.from(c.vector), namespace: name, metadata: { documentId: c.documentId, chunkId: c.id } }] : []));
        for (let i = 0; i < upserts.length; i += VECTORIZE_LIMITS.batch) await vectors.upsert(upserts.slice(i, i + VECTORIZE_LIMITS.batch));
        try {
          await db.batch([db.prepare(`DELETE FROM chunks WHERE collection = ? AND document_id IN ${IN_JSON}`).bind(name, JSON.stringify(documentIds)), ...insertChunks(db, name, chunks, vectorIds, segmenter)]);
        } catch (error) {
          // The documents keep their old rows and vectors; the new vectors would be orphans.
          await deleteVectors(upserts.map((u) => u.id)).catch(() => {});
          throw error;
        }
        // Orphans if this fails: invisible (no D1 row), and removed with the collection.
        await deleteVectors(oldVectors).catch(() => {});
      },

      async deleteDocument(documentId) {
        const ids = await vectorIdsOf(name, [documentId]);
        const result = await db.prepare("DELETE FROM chunks WHERE collection = ? AND document_id = ?").bind(name, documentId).run();
        await deleteVectors(ids).catch(() => {});
        return (result.meta.changes ?? 0) > 0;
      },

      async listDocuments() {
        const { results } = await db.prepare(`${DOCUMENT_SELECT} WHERE collection = ? GROUP BY document_id ORDER BY source, document_id`).bind(name).all<DocumentRow>();
        return results.map(toDocumentInfo);
      },

      async getDocument(documentId) {
        const row = await db.prepare(`${DOCUMENT_SELECT} WHERE collection = ? AND document_id = ? GROUP BY document_id`).bind(name, documentId).first<DocumentRow>();
        return row ? toDocumentInfo(row) : undefined;
      },

      async vectorSearch(vector, searchOptions) {
        checkVector(vector, dims, "the query vector");
        checkSearch(searchOptions, capabilities.maxTopK);
        const allowed = await allowedDocuments(name, searchOptions);
        if (allowed?.length === 0) return [];
        const filter: VectorizeFilter | undefined = allowed ? { documentId: { $in: allowed } } : undefined;
        const { matches } = await vectors.query(Array.from(vector), {
          topK: Math.min(capabilities.maxTopK, searchOptions.topK + STALE_MARGIN),
          namespace: name,
          returnMetadata: "none",
          ...(filter ? { filter } : {}),
        });
        const { results } = await db
          .prepare(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE collection = ? AND vector_id IN ${IN_JSON}`)
          .bind(name, JSON.stringify(matches.map((m) => m.id)))
          .all<ChunkRow>();
        const rows = new Map(results.map((row) => [row.vector_id!, row]));
        const hits: SearchHit[] = [];
        for (const match of matches) {
          const row = rows.get(match.id);
          if (row) hits.push({ ...toStoredChunk(row), score: match.score });
        }
        return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, searchOptions.topK);
      },

      async keywordSearch(text, searchOptions) {
        checkSearch(searchOptions, capabilities.maxTopK);
        const match = matchExpression(text, segmenter);
        const allowed = await allowedDocuments(name, searchOptions);
        if (match === "" || allowed?.length === 0) return [];
        const where = allowed ? ` AND c.document_id IN ${IN_JSON}` : "";
        // bm25() is lower-is-better; the contract wants higher-is-better.
        const { results } = await db
          .prepare(
            `SELECT ${CHUNK_COLUMNS.split(", ")
              .map((c) => `c.${c}`)
              .join(", ")}, -bm25(chunks_fts) AS score FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.collection = ?${where} ORDER BY score DESC, c.id LIMIT ?`,
          )
          .bind(match, name, ...(allowed ? [JSON.stringify(allowed)] : []), searchOptions.topK)
          .all<ChunkRow & { score: number }>();
        return results.map((row) => ({ ...toStoredChunk(row), score: row.score }));
      },

      async count() {
        const row = await db.prepare("SELECT COUNT(*) AS n FROM chunks WHERE collection = ?").bind(name).first<{ n: number }>();
        return row?.n ?? 0;
      },
    };
  }

  return {
    capabilities,

    async openCollection(name, open) {
      checkCollectionName(name);
      let tag = await tagOf(name);
      if (!tag) {
        if (open.create === false) throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
        // OR IGNORE: two isolates may create it at once; the tag read next is the one that won.
        await db.prepare("INSERT OR IGNORE INTO collections (name, embed_model, dims, created_at) VALUES (?, ?, ?, ?)").bind(name, open.embedModel, open.dims, Date.now()).run();
        tag = (await tagOf(name))!;
      }
      checkSameModel(name, { embedModel: tag.embed_model, dims: tag.dims }, open);
      return collectionOf(name, tag.embed_model, tag.dims);
    },

    async openExistingCollection(name) {
      checkCollectionName(name);
      const tag = await tagOf(name);
      if (!tag) throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
      return collectionOf(name, tag.embed_model, tag.dims);
    },

    async listCollections() {
      const { results } = await db
        .prepare(
          "SELECT k.name, k.embed_model, k.dims, COUNT(DISTINCT c.document_id) AS documents, COUNT(c.rowid) AS chunks FROM collections k LEFT JOIN chunks c ON c.collection = k.name GROUP BY k.name ORDER BY k.name",
        )
        .all<{ name: string; embed_model: string; dims: number; documents: number; chunks: number }>();
      return results.map((r): CollectionInfo => ({ name: r.name, embedModel: r.embed_model, dims: r.dims, documents: r.documents, chunks: r.chunks }));
    },

    async dropCollection(name) {
      checkCollectionName(name);
      const ids = await vectorIdsOf(name);
      const [, dropped] = await db.batch([db.prepare("DELETE FROM chunks WHERE collection = ?").bind(name), db.prepare("DELETE FROM collections WHERE name = ?").bind(name)]);
      await deleteVectors(ids).catch(() => {});
      return (dropped!.meta.changes ?? 0) > 0;
    },

    async close() {
      // Bindings belong to the platform: nothing to release.
    },
  };
}
