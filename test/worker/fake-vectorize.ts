/**
 * An exact in-memory stand-in for a Vectorize index, bound in place of `env.VECTORIZE`
 * in the Worker tests: Vectorize has no local simulation (Miniflare only proxies to a
 * remote index). It keeps Vectorize's API and limits, from
 * https://developers.cloudflare.com/vectorize/reference/client-api/ and /platform/limits/:
 * ids of at most 64 bytes, namespaces of at most 64 bytes, at most 1000 vectors per
 * upsert, metadata of at most 10 KiB, topK at most 100 (20 when values or all metadata
 * are returned), cosine scores, filters on indexed metadata properties only ($eq, $ne,
 * $in, $nin). Scores are computed, nothing is scripted. `deferred` models eventual
 * visibility: mutations wait in a queue until `flush()`.
 */
import { VECTORIZE_LIMITS, type VectorizeFilter, type VectorizeFilterValue, type VectorizeIndex, type VectorizeMatch, type VectorizeQueryOptions, type VectorizeVector } from "../../src/store/cloudflare-bindings.js";

export interface FakeVectorizeOptions {
  dimensions: number;
  /** Metadata properties with a metadata index (`wrangler vectorize create-metadata-index`); filters on others match nothing. */
  metadataIndexes?: string[];
  /** Queue mutations until flush(), as Vectorize applies them after a delay (default false: applied at once). */
  deferred?: boolean;
}

export interface FakeVectorize extends VectorizeIndex {
  /** Applies queued mutations (deferred mode). */
  flush(): void;
  /** Stored vectors, for assertions. */
  size(): number;
  /** Calls made, by method, for assertions on batching. */
  readonly calls: { upsert: number[]; query: VectorizeQueryOptions[]; deleteByIds: number[] };
}

interface Stored {
  id: string;
  values: Float64Array;
  norm: number;
  namespace: string | undefined;
  metadata: Record<string, unknown> | undefined;
}

const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

export function createFakeVectorize(options: FakeVectorizeOptions): FakeVectorize {
  const vectors = new Map<string, Stored>();
  const queue: (() => void)[] = [];
  const indexed = new Set(options.metadataIndexes ?? []);
  const calls: FakeVectorize["calls"] = { upsert: [], query: [], deleteByIds: [] };
  let mutations = 0;

  const mutate = (apply: () => void) => {
    if (options.deferred) queue.push(apply);
    else apply();
    return { mutationId: `mutation-${++mutations}` };
  };

  const checkIds = (ids: string[], what: string) => {
    if (ids.length > VECTORIZE_LIMITS.batch) throw new Error(`VECTOR_${what}_ERROR: at most ${VECTORIZE_LIMITS.batch} ids per call, got ${ids.length}`);
  };

  return {
    calls,

    async upsert(input: VectorizeVector[]) {
      calls.upsert.push(input.length);
      if (input.length > VECTORIZE_LIMITS.batch) throw new Error(`VECTOR_UPSERT_ERROR: at most ${VECTORIZE_LIMITS.batch} vectors per upsert, got ${input.length}`);
      const prepared = input.map((v): Stored => {
        if (typeof v.id !== "string" || v.id === "" || bytes(v.id) > VECTORIZE_LIMITS.idBytes) throw new Error(`VECTOR_UPSERT_ERROR: vector id must be 1 to ${VECTORIZE_LIMITS.idBytes} bytes, got ${bytes(String(v.id))}`);
        if (v.values.length !== options.dimensions) throw new Error(`VECTOR_UPSERT_ERROR: vector ${v.id} has ${v.values.length} dimensions, the index has ${options.dimensions}`);
        if (v.namespace !== undefined && bytes(v.namespace) > VECTORIZE_LIMITS.namespaceBytes) throw new Error(`VECTOR_UPSERT_ERROR: namespace longer than ${VECTORIZE_LIMITS.namespaceBytes} bytes`);
        if (v.metadata && bytes(JSON.stringify(v.metadata)) > VECTORIZE_LIMITS.metadataBytes) throw new Error(`VECTOR_UPSERT_ERROR: metadata of ${v.id} over ${VECTORIZE_LIMITS.metadataBytes} bytes`);
        const values = Float64Array.from(v.values);
        return { id: v.id, values, norm: Math.hypot(...values), namespace: v.namespace, metadata: v.metadata ? structuredClone(v.metadata) : undefined };
      });
      return mutate(() => {
        for (const v of prepared) vectors.set(v.id, v);
      });
    },

    async query(vector, queryOptions: VectorizeQueryOptions = {}) {
      calls.query.push(queryOptions);
      const topK = queryOptions.topK ?? 5;
      const heavy = queryOptions.returnValues === true || queryOptions.returnMetadata === true || queryOptions.returnMetadata === "all";
      const limit = heavy ? VECTORIZE_LIMITS.topKWithMetadata : VECTORIZE_LIMITS.topK;
      if (!Number.isInteger(topK) || topK < 1 || topK > limit) throw new Error(`VECTOR_QUERY_ERROR: topK must be from 1 to ${limit}${heavy ? " when returning values or all metadata" : ""}, got ${topK}`);
      if (vector.length !== options.dimensions) throw new Error(`VECTOR_QUERY_ERROR: query vector has ${vector.length} dimensions, the index has ${options.dimensions}`);
      const query = Float64Array.from(vector);
      const queryNorm = Math.hypot(...query);
      const matches: VectorizeMatch[] = [];
      for (const v of vectors.values()) {
        if (queryOptions.namespace !== undefined && v.namespace !== queryOptions.namespace) continue;
        if (queryOptions.filter && !matchesFilter(v.metadata, queryOptions.filter, indexed)) continue;
        let dot = 0;
        for (let i = 0; i < query.length; i++) dot += query[i]! * v.values[i]!;
        const match: VectorizeMatch = { id: v.id, score: queryNorm && v.norm ? dot / (queryNorm * v.norm) : 0 };
        if (queryOptions.returnValues) match.values = Array.from(v.values);
        if (v.namespace !== undefined) match.namespace = v.namespace;
        if (queryOptions.returnMetadata && queryOptions.returnMetadata !== "none" && v.metadata) match.metadata = structuredClone(v.metadata) as VectorizeMatch["metadata"];
        matches.push(match);
      }
      matches.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
      const top = matches.slice(0, topK);
      return { matches: top, count: top.length };
    },

    async getByIds(ids) {
      checkIds(ids, "GET");
      return ids.flatMap((id) => {
        const v = vectors.get(id);
        return v
          ? [{ id, values: Array.from(v.values), ...(v.namespace === undefined ? {} : { namespace: v.namespace }), ...(v.metadata ? { metadata: structuredClone(v.metadata) as VectorizeVector["metadata"] } : {}) }]
          : [];
      });
    },

    async deleteByIds(ids) {
      calls.deleteByIds.push(ids.length);
      checkIds(ids, "DELETE");
      const list = [...ids];
      return mutate(() => {
        for (const id of list) vectors.delete(id);
      });
    },

    flush() {
      for (const apply of queue.splice(0)) apply();
    },

    size: () => vectors.size,
  };
}

function matchesFilter(metadata: Record<string, unknown> | undefined, filter: VectorizeFilter, indexed: Set<string>): boolean {
  for (const [key, condition] of Object.entries(filter)) {
    if (!indexed.has(key)) return false;
    const value = (metadata?.[key] ?? null) as VectorizeFilterValue;
    if (condition === null || typeof condition !== "object") {
      if (value !== condition) return false;
      continue;
    }
    if ("$eq" in condition && value !== condition.$eq) return false;
    if ("$ne" in condition && value === condition.$ne) return false;
    if (condition.$in && !condition.$in.includes(value)) return false;
    if (condition.$nin?.includes(value)) return false;
  }
  return true;
}
