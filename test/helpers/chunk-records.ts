/**
 * Chunks of one document, ready to write straight to a collection (no ingest, no HTTP),
 * with the fake provider's vectors. Runtime-neutral: the workerd tests use it too.
 */
import type { ChunkRecord } from "../../src/store/vector-store.js";
import { fakeEmbedding } from "../fake-provider/vectors.js";

export function chunkRecords(documentId: string, texts: string[], options: { source?: string; withVectors?: boolean; hash?: string } = {}): ChunkRecord[] {
  const source = options.source ?? `/docs/${documentId}.md`;
  return texts.map((text, chunkIndex) => ({
    id: `${documentId}:${chunkIndex}`,
    documentId,
    source,
    title: documentId,
    page: null,
    pageEnd: null,
    heading: "",
    chunkIndex,
    text,
    contentHash: options.hash ?? `hash-of-${documentId}`,
    vector: options.withVectors === false ? null : fakeEmbedding(text),
    ingestedAt: 1_700_000_000_000,
  }));
}
