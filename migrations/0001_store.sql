-- askdocs on Cloudflare: D1 holds collections, documents' chunks and their keyword index;
-- Vectorize holds the vectors (one namespace per collection). D1 is the source of truth
-- for text: a vector whose chunk row is gone is never shown (src/store/cloudflare-store.ts).

CREATE TABLE collections (
  name TEXT PRIMARY KEY,
  embed_model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE chunks (
  rowid INTEGER PRIMARY KEY,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  source TEXT NOT NULL,
  title TEXT NOT NULL,
  page INTEGER,
  page_end INTEGER,
  heading TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  text TEXT NOT NULL,
  -- The text as space-separated words (Intl.Segmenter, Chinese split into words): what FTS5 indexes.
  terms TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  -- The chunk's vector in Vectorize (null: stored without a vector, found by keyword only).
  vector_id TEXT,
  ingested_at INTEGER NOT NULL,
  UNIQUE (collection, id)
);
CREATE INDEX chunks_by_document ON chunks (collection, document_id);
CREATE UNIQUE INDEX chunks_by_vector ON chunks (vector_id) WHERE vector_id IS NOT NULL;

-- unicode61 over pre-segmented words: FTS5 has no Chinese segmenter of its own.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (terms, content = 'chunks', content_rowid = 'rowid', tokenize = 'unicode61');

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, terms) VALUES (new.rowid, new.terms);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, terms) VALUES ('delete', old.rowid, old.terms);
END;
