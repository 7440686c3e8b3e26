/**
 * The Node implementation of VectorStore on LanceDB: one table per collection, the
 * embedding model recorded in the table's schema metadata (see lance-schema.ts).
 */
import { Index, Session, connect } from "@lancedb/lancedb";
import type { Connection, Table } from "@lancedb/lancedb";
import { ModelMismatchError, NotFoundError } from "../errors.js";
import PQueue from "p-queue";
import { type CollectionContext, countDocuments, createCollection } from "./lance-collection.js";
import { type ModelTag, checkCollectionName, checkSameModel } from "./checks.js";
import { chunkSchema, readModelTag } from "./lance-schema.js";
import { LANCE_MAX_TOP_K } from "./lance-search.js";
import { ftsIndex, type UpkeepOptions, type VectorIndexPolicy } from "./lance-upkeep.js";
import { COLLECTION_NAME } from "./vector-store.js";
import type { CollectionInfo, OpenCollectionOptions, VectorStore } from "./vector-store.js";

export interface LanceStoreOptions {
  /** Database directory or object-store URI (`LANCEDB_URI`; config defaults it to `data/lancedb`). */
  uri: string;
  /** Object-store options (credentials, endpoint; see storage-location.ts). Secret: never logged. */
  storageOptions?: Record<string, string>;
  /**
   * Seconds between checks for writes made by other processes (e.g. `askdocs ingest`
   * while the server runs). Default 0: every read sees the latest commit. Without
   * it LanceDB never looks, and a cached table handle keeps serving its old version.
   */
  readConsistencySeconds?: number;
  /** When and how collections get a vector index (default: DEFAULT_VECTOR_INDEX). */
  vectorIndex?: VectorIndexPolicy;
  /** Old versions kept for readers in flight, in ms (default 3_600_000). */
  keepVersionsMs?: number;
  /** LanceDB's index cache, in MiB (default 512; LanceDB's own default is several GiB). */
  indexCacheMiB?: number;
  /** Searches run at once; more wait their turn (default 4: memory, not CPU, is the limit of brute force). */
  maxConcurrentSearches?: number;
  /** LanceDB's metadata cache, in MiB (default 128). */
  metadataCacheMiB?: number;
}

/**
 * The vector index askdocs builds, and when, chosen by measurement on seeded clustered
 * 1024-dim vectors (test/bench/index-tuning.bench.ts; figures in the README):
 * IVF_RQ with 4-bit codes and √N partitions kept recall@10 ≥ 0.99 against brute force
 * from 2,000 to 1,000,000 rows at 3-4 ms a query, builds in ~20 s per 100k vectors, and
 * its query time barely grows with nprobes, so 40 probes cost little. IVF_PQ needed
 * 4-9 min to build and refine 10 to pass 0.98; IVF_FLAT stores a second copy of the
 * vectors; HNSW built 2-5x slower. At 5,000 vectors brute force passes ~13-20 ms.
 * refineFactor is never left unset: without it LanceDB returns quantised distances
 * (about twice the cosine distance), and `score = 1 - distance` would be wrong.
 */
export const DEFAULT_VECTOR_INDEX: VectorIndexPolicy = {
  minRows: 5_000,
  build: (rows) => Index.ivfRq({ distanceType: "cosine", numPartitions: Math.max(1, Math.round(Math.sqrt(rows))), numBits: 4 }),
  tuning: { nprobes: 40, refineFactor: 2 },
};

/** The full-text index's ICU tokenizer segments Chinese into words. */
const LANCE_CAPABILITIES = { keywordSearch: true, segmentsChinese: true, maxTopK: LANCE_MAX_TOP_K, readsOwnWrites: true } as const;

export async function openLanceStore(options: LanceStoreOptions): Promise<VectorStore> {
  const { uri, readConsistencySeconds = 0, indexCacheMiB = 512, metadataCacheMiB = 128 } = options;
  if (typeof uri !== "string" || uri.trim() === "") {
    throw new TypeError(`Expected \`uri\` to be a non-empty string, got \`${String(uri)}\` (${typeof uri})`);
  }
  if (typeof readConsistencySeconds !== "number" || !Number.isFinite(readConsistencySeconds) || readConsistencySeconds < 0) {
    throw new TypeError(`Expected \`readConsistencySeconds\` to be a finite number >= 0, got \`${String(readConsistencySeconds)}\` (${typeof readConsistencySeconds})`);
  }
  const session = new Session(BigInt(indexCacheMiB) * 1024n * 1024n, BigInt(metadataCacheMiB) * 1024n * 1024n);
  const connection = await connect(uri, { readConsistencyInterval: readConsistencySeconds, session, ...(options.storageOptions ? { storageOptions: options.storageOptions } : {}) });
  return createLanceStore(connection, { vectorIndex: options.vectorIndex ?? DEFAULT_VECTOR_INDEX, keepVersionsMs: options.keepVersionsMs ?? 3_600_000 }, options.maxConcurrentSearches ?? 4);
}

function createLanceStore(connection: Connection, upkeep: UpkeepOptions, maxConcurrentSearches: number): VectorStore {
  // A brute-force search over 100k chunks holds ~300 MB while it runs: bound how many run at once.
  const searches = new PQueue({ concurrency: maxConcurrentSearches });
  const context: CollectionContext = { upkeep, limitSearch: (search) => searches.add(search) };
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
      const table = await connection.createEmptyTable(name, chunkSchema(tag), { mode: "create", existOk: false });
      // Keyword search works from the first write; later rows are searched unindexed until upkeep folds them in.
      await table.createIndex("text", { config: ftsIndex() });
      return table;
    } catch (error) {
      // Another process created it first: open theirs, and let the model check judge it.
      if (await exists(name)) return connection.openTable(name);
      throw error;
    }
  }

  /** The table of a collection, created with `tag` when missing and `tag` is given. */
  async function tableOf(name: string, tag?: ModelTag): Promise<Table> {
    assertOpen();
    checkCollectionName(name);
    if (tables.has(name) || (await exists(name))) return cached(name, () => connection.openTable(name));
    if (!tag) throw new NotFoundError(`Collection \`${name}\` does not exist: ingest documents into it first`);
    return cached(name, () => create(name, tag));
  }

  async function storedTag(name: string, table: Table): Promise<ModelTag> {
    const stored = readModelTag(await table.schema());
    if (!stored) {
      throw new ModelMismatchError(`Collection \`${name}\` has no embedding-model record (it was not created by askdocs): re-ingest the documents into a new collection`);
    }
    return stored;
  }

  return {
    capabilities: LANCE_CAPABILITIES,

    async openCollection(name, options) {
      const wanted = checkOpenOptions(options);
      const table = await tableOf(name, options.create === false ? undefined : wanted);
      const stored = await storedTag(name, table);
      checkSameModel(name, stored, wanted);
      return createCollection(name, stored, table, context);
    },

    async openExistingCollection(name) {
      const table = await tableOf(name);
      return createCollection(name, await storedTag(name, table), table, context);
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
      await table?.then(
        (t) => t.close(),
        () => undefined,
      );
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
