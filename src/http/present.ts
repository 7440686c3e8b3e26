/**
 * The public shape of collections, documents and retrieved passages, shared by every door
 * (the HTTP API, the compatible APIs, MCP): search results, `/v1/ask`
 * citations (which the OpenAI and Anthropic doors return as `references` and MCP as its
 * `ask` result), and the short sources list the chat doors append to the answer text,
 * since every chat client shows text but few read extra fields.
 */
import type { Passage } from "../answer/context.js";
import type { BlobMeta } from "../blobs/blob-store.js";
import type { CollectionInfo, DocumentInfo, SearchHit } from "../store/vector-store.js";

export function presentHit(hit: SearchHit) {
  return {
    chunk_id: hit.id,
    document_id: hit.documentId,
    source: hit.source,
    title: hit.title,
    page: hit.page,
    page_end: hit.pageEnd,
    heading: hit.heading,
    text: hit.text,
    score: Math.round(hit.score * 10_000) / 10_000,
  };
}

export function presentCollection(col: CollectionInfo) {
  return { name: col.name, embed_model: col.embedModel, dims: col.dims, documents: col.documents, chunks: col.chunks };
}

/** A document as listed; `original` is its kept file (blob store), when there is one. */
export function presentDocument(doc: DocumentInfo, original: BlobMeta | undefined) {
  return {
    document_id: doc.documentId,
    source: doc.source,
    title: doc.title,
    chunks: doc.chunks,
    pages: original?.pages ?? null,
    original: original !== undefined,
    content_hash: doc.contentHash,
    ingested_at: new Date(doc.ingestedAt).toISOString(),
  };
}

export type Citation = ReturnType<typeof presentHit> & { n: number; cited: boolean; chunk_ids: string[] };

/** Passages numbered as the answer cites them (`[n]`), each marked when the answer cites it. */
export function presentCitations(passages: Passage[], cited: number[]): Citation[] {
  return passages.map((p, i) => ({ n: i + 1, cited: cited.includes(i + 1), ...presentHit(p), chunk_ids: p.chunkIds }));
}

/** Opens the sources list; also how a chat door recognises it in an earlier assistant turn. */
export const SOURCES_HEADING = "\n\nSources:\n";

/** Where a passage comes from, in one line: `Title (file.pdf), p. 3 · Chapter > Section`. */
export function describeSource(c: Pick<Citation, "source" | "title" | "page" | "page_end" | "heading">): string {
  const page = c.page === null ? "" : c.page_end !== null && c.page_end !== c.page ? `, pp. ${c.page}-${c.page_end}` : `, p. ${c.page}`;
  const heading = c.heading ? ` · ${c.heading}` : "";
  const title = c.title && c.title !== c.source ? `${c.title} (${c.source})` : c.source;
  return `${title}${page}${heading}`;
}

/** `Sources:` and one line per cited passage (`[2] Title (file.pdf), p. 3 · Chapter > Section`); empty when nothing is cited. */
export function sourcesList(citations: Citation[]): string {
  const cited = citations.filter((c) => c.cited);
  return cited.length === 0 ? "" : `${SOURCES_HEADING}${cited.map((c) => `[${c.n}] ${describeSource(c)}`).join("\n")}`;
}

/** An earlier answer as the model wrote it: without the sources list a chat door appended. */
export function withoutSourcesList(text: string): string {
  const at = text.lastIndexOf(SOURCES_HEADING);
  return at === -1 ? text : text.slice(0, at);
}
