/**
 * Chunks of one document, ready to write straight to a collection (no ingest, no HTTP),
 * with the fake provider's vectors. Runtime-neutral: the workerd tests use it too.
 */
import type { ChunkRecord, StoredChunk } from "../../src/store/vector-store.js";
import { fakeEmbedding } from "../fake-provider/vectors.js";

interface ChunkOptions {
  source?: string;
  hash?: string;
}

/** One chunk as the store keeps it, without its vector. */
export function storedChunk(documentId: string, chunkIndex: number, text: string, options: ChunkOptions = {}): StoredChunk {
  return {
    id: `${documentId}:${chunkIndex}`,
    documentId,
    source: options.source ?? `/docs/${documentId}.md`,
    title: documentId,
    page: null,
    pageEnd: null,
    heading: "",
    chunkIndex,
    text,
    contentHash: options.hash ?? `hash-of-${documentId}`,
    ingestedAt: 1_700_000_000_000,
  };
}

export function chunkRecords(documentId: string, texts: string[], options: ChunkOptions & { withVectors?: boolean } = {}): ChunkRecord[] {
  return texts.map((text, chunkIndex) => ({ ...storedChunk(documentId, chunkIndex, text, options), vector: options.withVectors === false ? null : fakeEmbedding(text) }));
}
