import type { SearchHit } from "../store/vector-store.js";

/** The public shape of one retrieved passage (search results and citations). */
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
