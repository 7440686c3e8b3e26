/**
 * The ingest pipeline, shared by the command and HTTP uploads: read → hash → (skip if
 * unchanged) → load → chunk → embed → write. Parsing runs ahead of the embedder, and
 * batches mix chunks of several documents, so the provider's requests-per-minute
 * ceiling stays full. Each document is written in one commit once all its vectors are
 * in: a document is stored whole or not at all. Runtime-agnostic: files come as readers.
 */
import type { Embedder } from "../src/providers/embed.js";
import { AppError } from "../src/errors.js";
import { ProviderError } from "../src/providers/provider-error.js";
import type { FileOutcome, IngestProgress, IngestReport, IngestRunOptions, SourceFile } from "../src/runtime/ingest-service.js";
import type { ChunkRecord, Collection, DocumentInfo } from "../src/store/vector-store.js";
import { type Chunk, type ChunkOptions, chunkDocument } from "./chunk.js";
import { contentHash, documentId } from "./identity.js";
import { loadDocument } from "./loaders/index.js";

export type { FileOutcome, FileStatus, IngestProgress, IngestReport, SourceFile } from "../src/runtime/ingest-service.js";

function failure(error: unknown): Pick<FileOutcome, "reason" | "code" | "httpStatus"> {
  const reason = error instanceof Error ? error.message : String(error);
  return error instanceof AppError ? { reason, code: error.code, httpStatus: error.status } : { reason };
}

export interface IngestOptions extends IngestRunOptions {
  collectionName: string;
  /** Where documents are written; may be undefined on a dry run of a collection not created yet. */
  collection: Collection | undefined;
  /**
   * Without one, chunks are stored with no vector (found by keyword search) and get
   * their vectors on the first run that has an embedder.
   */
  embedder: Embedder | undefined;
  chunkOptions: ChunkOptions;
  /** Names the chunk settings in the content hash (chunker version, model, sizes). */
  settingsKey: string;
  /** Time limit for loading one file (default 60000). */
  loadTimeoutMs?: number;
}

interface PendingDoc {
  file: SourceFile;
  id: string;
  hash: string;
  title: string;
  chunks: Chunk[];
  vectors: (Float32Array | undefined)[];
  remaining: number;
  failed: boolean;
}

interface ChunkRef {
  doc: PendingDoc;
  index: number;
}

/** These will fail every following request the same way: stop instead of failing file by file. */
const FATAL_KINDS = new Set(["auth", "quota", "unknown_model"]);

export async function ingestFiles(files: SourceFile[], options: IngestOptions): Promise<IngestReport> {
  const started = Date.now();
  const { collection, embedder } = options;
  if (!options.dryRun && !collection) throw new TypeError("ingestFiles needs a collection unless dryRun is set");
  const concurrency = options.concurrency ?? 4;
  const requestsBefore = embedder?.stats().requests ?? 0;
  const outcomes: FileOutcome[] = [];
  const progress: IngestProgress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((n, f) => n + f.size, 0), chunksEmbedded: 0 };
  let chunksWritten = 0;
  let fatal: ProviderError | undefined;

  const existing = new Map<string, DocumentInfo>((collection ? await collection.listDocuments() : []).map((d) => [d.documentId, d]));

  const finish = (doc: { file: SourceFile }, outcome: FileOutcome) => {
    outcomes.push(outcome);
    progress.filesDone++;
    progress.bytesDone += doc.file.size;
    options.onFile?.(outcome);
    options.onProgress?.({ ...progress });
  };
  const fail = (doc: PendingDoc, why: Pick<FileOutcome, "reason" | "code" | "httpStatus">) => {
    if (doc.failed) return;
    doc.failed = true;
    doc.vectors = []; // free memory now
    finish(doc, { source: doc.file.source, status: "failed", documentId: doc.id, ...why });
  };

  // Writes are serialised: one commit per document, in completion order.
  let writes = Promise.resolve();
  const write = (doc: PendingDoc) => {
    writes = writes.then(async () => {
      const ingestedAt = Date.now();
      const records: ChunkRecord[] = doc.chunks.map((c, i) => ({
        id: `${doc.id}:${c.index}`,
        documentId: doc.id,
        source: doc.file.source,
        title: doc.title,
        page: c.page,
        pageEnd: c.pageEnd !== null && c.pageEnd !== c.page ? c.pageEnd : null,
        heading: c.heading,
        chunkIndex: c.index,
        text: c.text,
        contentHash: doc.hash,
        vector: doc.vectors[i] ?? null,
        ingestedAt,
      }));
      try {
        await collection!.writeDocuments([{ documentId: doc.id, chunks: records }]);
        chunksWritten += records.length;
        finish(doc, { source: doc.file.source, status: "ingested", documentId: doc.id, chunks: records.length });
      } catch (error) {
        fail(doc, { ...failure(error), reason: `could not write to the store: ${(error as Error).message}` });
      }
    });
  };

  const inflight = new Set<Promise<void>>();
  const embedBatch = (refs: ChunkRef[], isolated = false): void => {
    const live = refs.filter((r) => !r.doc.failed);
    if (live.length === 0 || fatal) return;
    const task = embedder!
      .embed(live.map((r) => r.doc.chunks[r.index]!.text), "passage", { signal: options.signal, lane: "batch" })
      .then(
        (vectors) => {
          live.forEach((ref, k) => {
            if (ref.doc.failed) return;
            ref.doc.vectors[ref.index] = vectors[k];
            progress.chunksEmbedded++;
            if (--ref.doc.remaining === 0) write(ref.doc);
          });
          options.onProgress?.({ ...progress });
        },
        (error: unknown) => {
          if (options.signal?.aborted) return;
          if (error instanceof ProviderError && FATAL_KINDS.has(error.kind)) {
            fatal ??= error;
            return;
          }
          const docs = [...new Set(live.map((r) => r.doc))];
          // A batch mixes documents: find which one the provider refuses before failing any.
          if (!isolated && docs.length > 1 && error instanceof ProviderError && error.kind === "bad_request") {
            for (const doc of docs) embedBatch(live.filter((r) => r.doc === doc), true);
            return;
          }
          for (const doc of docs) fail(doc, { ...failure(error), reason: `embedding failed: ${failure(error).reason}` });
        },
      )
      .finally(() => inflight.delete(task));
    inflight.add(task);
  };

  let buffer: ChunkRef[] = [];
  const flush = async (all: boolean) => {
    for (;;) {
      // Empty first: a dry run has no embedder to ask.
      if (buffer.length === 0) return;
      const size = embedder!.stats().batchSize;
      if (!all && buffer.length < size) return;
      // Back-pressure: parsing waits while enough batches are in flight, so memory stays bounded.
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (fatal) return;
      embedBatch(buffer.slice(0, size));
      buffer = buffer.slice(size);
    }
  };

  for (const file of files) {
    if (fatal || options.signal?.aborted) break;
    const prepared = await prepare(file, options, existing);
    if ("status" in prepared) {
      finish({ file }, prepared);
      continue;
    }
    if (options.dryRun) {
      finish({ file }, { source: file.source, status: "ingested", documentId: prepared.id, chunks: prepared.chunks.length });
      continue;
    }
    const doc: PendingDoc = { ...prepared, file, vectors: new Array(prepared.chunks.length), remaining: prepared.chunks.length, failed: false };
    if (!embedder) {
      write(doc); // keyword-only: stored without vectors
      continue;
    }
    buffer.push(...doc.chunks.map((_, index) => ({ doc, index })));
    await flush(false);
  }
  if (!fatal) await flush(true);
  while (inflight.size > 0) await Promise.race(inflight);
  await writes;

  if (fatal || options.signal?.aborted) {
    const why = fatal ? { ...failure(fatal), reason: `not ingested: ${fatal.message}` } : { reason: "not ingested: interrupted" };
    const done = new Set(outcomes.map((o) => o.source));
    for (const file of files) if (!done.has(file.source)) finish({ file }, { source: file.source, status: "failed", ...why });
  }
  return {
    files: outcomes,
    chunksWritten,
    embedRequests: (embedder?.stats().requests ?? 0) - requestsBefore,
    elapsedMs: Date.now() - started,
    ...(fatal ? { fatal: fatal.message } : {}),
  };
}

type Prepared = { id: string; hash: string; title: string; chunks: Chunk[] };

/** Read, hash, compare, load and chunk one file; an outcome when there is nothing to embed. */
async function prepare(file: SourceFile, options: IngestOptions, existing: Map<string, DocumentInfo>): Promise<Prepared | FileOutcome> {
  const id = await documentId(options.collectionName, file.source);
  try {
    const bytes = await file.read();
    const hash = await contentHash(bytes, options.settingsKey);
    const stored = existing.get(id);
    // Unchanged, unless it was stored without vectors and an embedder is here now.
    if (stored && stored.contentHash === hash && stored.chunks > 0 && (!options.embedder || stored.embedded === stored.chunks)) {
      return { source: file.source, status: "unchanged", documentId: id, chunks: stored.chunks };
    }
    const doc = await loadDocument(bytes, file.source, { timeoutMs: options.loadTimeoutMs ?? 60_000 });
    const chunks = chunkDocument(doc, options.chunkOptions);
    if (chunks.length === 0) return { source: file.source, status: "failed", documentId: id, reason: "no text to index" };
    return { id, hash, title: doc.title, chunks };
  } catch (error) {
    return { source: file.source, status: "failed", documentId: id, ...failure(error) };
  }
}
