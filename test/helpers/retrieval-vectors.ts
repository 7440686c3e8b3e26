/**
 * Seeded clustered unit vectors for vector-index tests, and the exact answer to compare
 * an index against. Embeddings cluster by topic, so uniform random vectors (where every
 * neighbour is about as far as any other) would tell little about an IVF index.
 */
import { prng } from "../bench/vectors.js";

function gaussian(random: () => number): number {
  // Box-Muller; 1 - u keeps log() away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normalise(v: number[]): number[] {
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

export interface ClusteredVectors {
  /** `count` unit vectors, `clusters` topics with a spread of `spread` around each centre. */
  rows: number[][];
  /** Queries near the data: one cluster's centre with a wider spread, or between two clusters. */
  queries: number[][];
}

export function clusteredVectors(options: { dims: number; count: number; clusters: number; queries: number; spread?: number; seed: number }): ClusteredVectors {
  const { dims, count, clusters, spread = 0.6 } = options;
  const random = prng(options.seed);
  const noise = (scale: number) => Array.from({ length: dims }, () => (gaussian(random) * scale) / Math.sqrt(dims));
  const centres = Array.from({ length: clusters }, () => normalise(noise(1)));
  const around = (centre: number[], scale: number) => normalise(noise(scale).map((x, i) => x + centre[i]!));
  const pick = () => centres[Math.floor(random() * clusters)]!;
  const rows = Array.from({ length: count }, () => around(pick(), spread));
  const queries = Array.from({ length: options.queries }, (_, i) => {
    if (i % 5 !== 4) return around(pick(), spread * 1.3);
    const [a, b] = [pick(), pick()];
    return around(
      a.map((x, k) => x + b[k]!),
      spread,
    );
  });
  return { rows, queries };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** Indexes of the `k` rows most similar to `query` by cosine, exactly. */
export function exactTopK(rows: number[][], query: number[], k: number): number[] {
  return rows
    .map((row, index) => ({ index, score: cosine(row, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((r) => r.index);
}
