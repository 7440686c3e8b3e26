/**
 * Seeded, deterministic synthetic embeddings for the vector-index benchmark
 * (test/bench/index-tuning.bench.ts). Not a test: a library of generators.
 *
 * Text embeddings are not uniform on the sphere. They are anisotropic (every
 * vector shares a common direction, so unrelated texts still have cosine ~0.2),
 * their variance lives in a low-rank subspace with a decaying spectrum (the
 * dimensions are correlated), and they cluster by topic, with sub-topics inside
 * topics, clusters of very different sizes and different spreads. The model here:
 *
 *   x = normalise( a * mu  +  B * z  +  eps * n / sqrt(dims) )
 *   z = centre[c] + spread[c] * g          (latent, `rank` dims, g ~ N(0, S))
 *   centre[c] = (topic[t(c)] + 0.7 * g') / sqrt(1.49)
 *
 * mu is a unit "common direction", B a dims x rank random basis (columns ~unit,
 * ~orthogonal), S = diag(s_j^2) with s_j^2 ~ 1/(j+1) normalised to sum 1 (so an
 * N(0, S) draw has expected squared norm 1), n ~ N(0, I_dims) an isotropic residual.
 * Cluster sizes follow a Zipf-like law. Queries come from the same clusters with a
 * larger spread and residual, and one in five lies between two clusters of a topic,
 * as a question lies "between" the passages that answer it: near the data, never
 * equal to a stored vector.
 *
 * Everything derives from `seed`, and vector i depends only on (seed, model
 * options, i): the first N vectors of a larger count are the same N vectors.
 */

export interface ModelOptions {
  /** Vector length (default 1024). */
  dims?: number;
  /** Number of clusters (default 1000). */
  clusters?: number;
  /** Number of topics the clusters are grouped in (default clusters / 10). */
  topics?: number;
  /** Rank of the correlated part (default 128). */
  rank?: number;
  /** Weight of the common direction (default 0.6). */
  anisotropy?: number;
  /** Norm of the isotropic residual relative to the latent part (default 0.35). */
  residual?: number;
  /** Per-cluster spread is drawn uniformly from [min, max] (default [0.35, 0.7]). */
  spread?: [number, number];
  /** Zipf exponent of the cluster sizes (default 0.8; 0 = equal sizes). */
  zipf?: number;
  /** How far a cluster centre lies from its topic's, relative to the topic spread (default 0.7). */
  centreOffset?: number;
  /** Variance of latent axis j decays as 1 / (j + 1)^decay (default 1; lower = higher intrinsic dimension). */
  decay?: number;
  /** Master seed (default 1). */
  seed?: number;
}

/**
 * Named distributions. "default" is calibrated so that an IVF_FLAT index with sqrt(N)
 * partitions over 20,000 vectors gives recall@10 ~0.95 probing 2% of the partitions and
 * ~0.98 probing 3.5%, about what is reported for real 768-1536-dim text embeddings;
 * its local intrinsic dimensionality (MLE, k=20) is ~25. "hard" has 3x the clusters
 * and a flatter spectrum: recall@10 ~0.86 at 2% and ~0.91 at 3.5% (same LID, less
 * cluster structure), to check that a choice still holds on less friendly data.
 */
export const PROFILES = {
  default: {},
  hard: { clusters: 3000, decay: 0.8 },
} satisfies Record<string, ModelOptions>;

export interface ClusteredOptions extends ModelOptions {
  count: number;
  /** Rows per yielded batch (default 8192). */
  batchSize?: number;
}

export interface Batch {
  /** Index of the first vector of the batch. */
  start: number;
  /** `rows * dims` values, row-major; every row has unit L2 norm. */
  data: Float32Array;
  rows: number;
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller, both values used) from a uniform PRNG. */
export function gaussian(uniform: () => number): () => number {
  let spare = 0;
  let hasSpare = false;
  return () => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** A seed for stream `stream` (e.g. vector i) derived from the master seed. */
function subSeed(seed: number, stream: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(salt, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

const SALT_MODEL = 1;
const SALT_VECTOR = 2;
const SALT_QUERY = 3;

/** The fixed parameters of the distribution (centres, basis, spreads), built once per options. */
export class EmbeddingModel {
  readonly dims: number;
  readonly rank: number;
  readonly clusters: number;
  readonly seed: number;
  private readonly anisotropy: number;
  private readonly residual: number;
  /** rank: standard deviations of the latent axes (sum of squares = 1). */
  private readonly sd: Float64Array;
  /** dims x rank, row-major: row d holds B[d, 0..rank). */
  private readonly basis: Float64Array;
  /** clusters x dims: a * mu + B * centre[c], precomputed in the full space. */
  private readonly centresFull: Float32Array;
  /** clusters x rank: latent centres (for queries between two clusters). */
  private readonly centresLatent: Float64Array;
  private readonly spreads: Float64Array;
  private readonly topicOf: Int32Array;
  private readonly clustersOfTopic: number[][];
  /** Cumulative cluster weights, for sampling a cluster by inverse CDF. */
  private readonly cdf: Float64Array;
  private readonly mu: Float64Array;

  constructor(options: ModelOptions = {}) {
    this.dims = options.dims ?? 1024;
    this.rank = options.rank ?? 128;
    this.clusters = options.clusters ?? 1000;
    const topics = options.topics ?? Math.max(1, Math.round(this.clusters / 10));
    this.seed = options.seed ?? 1;
    this.anisotropy = options.anisotropy ?? 0.6;
    this.residual = options.residual ?? 0.35;
    const [spreadMin, spreadMax] = options.spread ?? [0.35, 0.7];
    const zipf = options.zipf ?? 0.8;
    const offset = options.centreOffset ?? 0.7;
    const decay = options.decay ?? 1;
    const { dims, rank, clusters } = this;

    const uniform = prng(subSeed(this.seed, 0, SALT_MODEL));
    const normal = gaussian(uniform);

    this.sd = new Float64Array(rank);
    let total = 0;
    for (let j = 0; j < rank; j++) total += 1 / (j + 1) ** decay;
    for (let j = 0; j < rank; j++) this.sd[j] = Math.sqrt(1 / (j + 1) ** decay / total);

    this.mu = new Float64Array(dims);
    let muNorm = 0;
    for (let d = 0; d < dims; d++) {
      this.mu[d] = normal();
      muNorm += this.mu[d]! ** 2;
    }
    muNorm = Math.sqrt(muNorm);
    for (let d = 0; d < dims; d++) this.mu[d]! /= muNorm;

    this.basis = new Float64Array(dims * rank);
    const scale = 1 / Math.sqrt(dims);
    for (let i = 0; i < this.basis.length; i++) this.basis[i] = normal() * scale;

    const topicLatent = new Float64Array(topics * rank);
    for (let t = 0; t < topics; t++) for (let j = 0; j < rank; j++) topicLatent[t * rank + j] = normal() * this.sd[j]!;

    this.topicOf = new Int32Array(clusters);
    this.clustersOfTopic = Array.from({ length: topics }, () => []);
    this.centresLatent = new Float64Array(clusters * rank);
    this.spreads = new Float64Array(clusters);
    const norm = 1 / Math.sqrt(1 + offset * offset);
    for (let c = 0; c < clusters; c++) {
      const t = Math.floor(uniform() * topics);
      this.topicOf[c] = t;
      this.clustersOfTopic[t]!.push(c);
      for (let j = 0; j < rank; j++) {
        this.centresLatent[c * rank + j] = (topicLatent[t * rank + j]! + offset * normal() * this.sd[j]!) * norm;
      }
      this.spreads[c] = spreadMin + (spreadMax - spreadMin) * uniform();
    }
    this.centresFull = new Float32Array(clusters * dims);
    for (let c = 0; c < clusters; c++) {
      const latent = this.centresLatent.subarray(c * rank, (c + 1) * rank);
      const out = this.centresFull.subarray(c * dims, (c + 1) * dims);
      this.project(latent, out);
      for (let d = 0; d < dims; d++) out[d]! += this.anisotropy * this.mu[d]!;
    }

    // Zipf-like cluster sizes, in a shuffled order so that size is unrelated to topic.
    const weights = new Float64Array(clusters);
    for (let c = 0; c < clusters; c++) weights[c] = 1 / (c + 1) ** zipf;
    for (let c = clusters - 1; c > 0; c--) {
      const k = Math.floor(uniform() * (c + 1));
      [weights[c], weights[k]] = [weights[k]!, weights[c]!];
    }
    this.cdf = new Float64Array(clusters);
    let acc = 0;
    for (let c = 0; c < clusters; c++) this.cdf[c] = acc += weights[c]!;
    for (let c = 0; c < clusters; c++) this.cdf[c]! /= acc;
  }

  /** out = B * latent (out has dims entries, overwritten). */
  private project(latent: ArrayLike<number>, out: Float32Array): void {
    const { dims, rank, basis } = this;
    // Four accumulators: about twice as fast under V8 as a single running sum.
    const r4 = rank & ~3;
    for (let d = 0; d < dims; d++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const row = d * rank;
      let j = 0;
      for (; j < r4; j += 4) {
        s0 += basis[row + j]! * latent[j]!;
        s1 += basis[row + j + 1]! * latent[j + 1]!;
        s2 += basis[row + j + 2]! * latent[j + 2]!;
        s3 += basis[row + j + 3]! * latent[j + 3]!;
      }
      for (; j < rank; j++) s0 += basis[row + j]! * latent[j]!;
      out[d] = s0 + s1 + s2 + s3;
    }
  }

  private pickCluster(u: number): number {
    let lo = 0;
    let hi = this.clusters - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Writes one unit vector into `out`: around cluster `c` (or the midpoint of `c`
   * and `c2`), spread multiplied by `spreadScale`, residual by `residualScale`.
   */
  private sample(out: Float32Array, normal: () => number, latent: Float64Array, c: number, spreadScale: number, residualScale: number, c2 = -1): void {
    const { dims, rank } = this;
    const spread = this.spreads[c]! * spreadScale;
    for (let j = 0; j < rank; j++) latent[j] = spread * normal() * this.sd[j]!;
    if (c2 >= 0) {
      // Between two clusters: centre = (centre[c] + centre[c2]) / 2, taken in latent space.
      for (let j = 0; j < rank; j++) {
        latent[j]! += 0.5 * (this.centresLatent[c2 * rank + j]! - this.centresLatent[c * rank + j]!);
      }
    }
    this.project(latent, out);
    const centre = this.centresFull.subarray(c * dims, (c + 1) * dims);
    const eps = (this.residual * residualScale) / Math.sqrt(dims);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = out[d]! + centre[d]! + eps * normal();
      out[d] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) out[d]! *= inv;
  }

  /** Vector `index` of the data set (deterministic in seed, options, index). */
  vector(index: number, out: Float32Array = new Float32Array(this.dims), latent = new Float64Array(this.rank)): Float32Array {
    const uniform = prng(subSeed(this.seed, index, SALT_VECTOR));
    const c = this.pickCluster(uniform());
    this.sample(out, gaussian(uniform), latent, c, 1, 1);
    return out;
  }

  /** Query `index`: near the data (larger spread; 1 in 5 between two clusters of one topic). */
  query(index: number, out: Float32Array = new Float32Array(this.dims), latent = new Float64Array(this.rank)): Float32Array {
    const uniform = prng(subSeed(this.seed, index, SALT_QUERY));
    const c = this.pickCluster(uniform());
    let c2 = -1;
    if (uniform() < 0.2) {
      const siblings = this.clustersOfTopic[this.topicOf[c]!]!.filter((other) => other !== c);
      if (siblings.length > 0) c2 = siblings[Math.floor(uniform() * siblings.length)]!;
    }
    this.sample(out, gaussian(uniform), latent, c, 1.25, 1.25, c2);
    return out;
  }
}

/**
 * Clustered unit vectors, `batchSize` rows at a time (memory stays bounded at any
 * `count`). Vector i is the same for any count and batch size.
 */
export function* clusteredVectors(options: ClusteredOptions): Generator<Batch> {
  const model = new EmbeddingModel(options);
  yield* batchesOf(model, options.count, options.batchSize ?? 8192);
}

export function* batchesOf(model: EmbeddingModel, count: number, batchSize = 8192, from = 0): Generator<Batch> {
  const latent = new Float64Array(model.rank);
  for (let start = from; start < count; start += batchSize) {
    const rows = Math.min(batchSize, count - start);
    const data = new Float32Array(rows * model.dims);
    for (let r = 0; r < rows; r++) model.vector(start + r, data.subarray(r * model.dims, (r + 1) * model.dims), latent);
    yield { start, data, rows };
  }
}

/** `count` query vectors for the same distribution (same options => same queries). */
export function queryVectors(options: ModelOptions & { count: number }, model = new EmbeddingModel(options)): Float32Array[] {
  const latent = new Float64Array(model.rank);
  return Array.from({ length: options.count }, (_, i) => model.query(i, undefined, latent));
}

/** Dot product of a[aOff..aOff+n) and b[bOff..bOff+n), unrolled by 4. */
export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < n; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Exact top-k by cosine (dot product of unit vectors), fed batch by batch so the
 * data never has to be held at once. `limit` restricts to the first `limit` vectors
 * (so one pass over the data gives ground truth for several collection sizes).
 */
export class ExactTopK {
  readonly k: number;
  private readonly dims: number;
  private readonly queries: Float32Array;
  private readonly count: number;
  /** count x k, descending similarity. */
  readonly scores: Float32Array;
  readonly ids: Int32Array;

  constructor(
    queries: Float32Array[],
    k: number,
    readonly limit = Infinity,
  ) {
    this.k = k;
    this.count = queries.length;
    this.dims = queries[0]?.length ?? 0;
    this.queries = new Float32Array(this.count * this.dims);
    for (const [i, q] of queries.entries()) this.queries.set(q, i * this.dims);
    this.scores = new Float32Array(this.count * k).fill(-Infinity);
    this.ids = new Int32Array(this.count * k).fill(-1);
  }

  add(batch: Batch): void {
    const { dims, k, queries, scores, ids } = this;
    const rows = Math.min(batch.rows, this.limit - batch.start);
    for (let r = 0; r < rows; r++) {
      const id = batch.start + r;
      const vOff = r * dims;
      for (let q = 0; q < this.count; q++) {
        const s = dot(batch.data, vOff, queries, q * dims, dims);
        const base = q * k;
        if (s <= scores[base + k - 1]!) continue;
        // Insertion into the sorted (descending) top-k of query q.
        let p = k - 1;
        while (p > 0 && scores[base + p - 1]! < s) {
          scores[base + p] = scores[base + p - 1]!;
          ids[base + p] = ids[base + p - 1]!;
          p--;
        }
        scores[base + p] = s;
        ids[base + p] = id;
      }
    }
  }

  /** The exact top-k ids of query q, best first. */
  top(q: number, k = this.k): number[] {
    return Array.from(this.ids.subarray(q * this.k, q * this.k + k));
  }

  /** The k-th best similarity of query q (useful to describe how tight the neighbourhoods are). */
  score(q: number, rank: number): number {
    return this.scores[q * this.k + rank]!;
  }
}

/** |found ∩ exact| / |exact|. */
export function recallAt(found: ArrayLike<number>, exact: ArrayLike<number>): number {
  const truth = new Set(Array.from(exact));
  let hits = 0;
  for (let i = 0; i < found.length; i++) if (truth.has(found[i]!)) hits++;
  return truth.size === 0 ? 1 : hits / truth.size;
}
