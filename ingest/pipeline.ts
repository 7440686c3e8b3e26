/**
 * The ingest pipeline, shared by the command and HTTP uploads: read → hash → (skip if
 * unchanged) → parse → chunk → embed → write. Files are parsed ahead of the embedder (by
 * the injected parser: in this thread, or a worker pool on Node), and batches mix chunks
 * of several documents, so the provider's requests-per-minute ceiling stays full.
 * Finished documents are written several per commit (group-writer.ts), each whole or not
 * at all. Runtime-agnostic: files come as readers.
 */
import { type BlobStore, contentTypeFor } from "../src/blobs/blob-store.js";
import type { Embedder } from "../src/providers/embed.js";
import { AppError } from "../src/errors.js";
import { ProviderError } from "../src/providers/provider-error.js";
import type { FileOutcome, IngestProgress, IngestReport, IngestRunOptions, SourceFile } from "../src/runtime/ingest-service.js";
import type { ChunkRecord, Collection, DocumentInfo } from "../src/store/vector-store.js";
import type { Chunk, ChunkOptions } from "./chunk.js";
import { type Sha256, contentHash, documentId } from "./identity.js";
import { createGroupWriter } from "./group-writer.js";
import { type DocumentParser, createInlineParser } from "./document-parser.js";

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
  /** Parses and chunks files (default: in this thread, with `chunkOptions`). */
  parser?: DocumentParser | undefined;
  /** Keeps each written document's original file (for opening a citation's source); none by default. */
  blobs?: BlobStore;
  /** Hashes documents' ids and contents (default: Web Crypto). */
  sha256?: Sha256 | undefined;
}

/** Up to this many files, their stored versions are looked up one by one instead of listing the collection. */
const LOOKUP_ONE_BY_ONE = 16;
/** Parsing pauses while this much finished work waits for its commit. */
const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
/** Bytes of files read and parsed ahead of the embedder (always at least one file). */
const MAX_AHEAD_BYTES = 64 * 1024 * 1024;

/** A file parsed and chunked, ready to embed. */
interface Prepared {
  id: string;
  hash: string;
  title: string;
  pages: number | undefined;
  chunks: Chunk[];
  warnings?: string[] | undefined;
  /** The file's bytes, kept until they are stored as the original (only with `blobs`). */
  original?: Uint8Array | undefined;
}

interface PendingDoc extends Prepared {
  file: SourceFile;
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

  const existing = await storedDocuments(files, options);

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
    doc.original = undefined;
    finish(doc, { source: doc.file.source, status: "failed", documentId: doc.id, ...why });
  };

  const writer = collection
    ? createGroupWriter<PendingDoc>({
        collection,
        onWritten(doc, written) {
          chunksWritten += written.chunks.length;
          finish(doc, { source: doc.file.source, status: "ingested", documentId: doc.id, chunks: written.chunks.length, ...(doc.warnings ? { warnings: doc.warnings } : {}) });
        },
        onFailed(doc, error) {
          fail(doc, { ...failure(error), reason: `could not write to the store: ${(error as Error).message}` });
        },
      })
    : undefined;
  const originals = new Set<Promise<void>>();
  const write = (doc: PendingDoc) => {
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
    doc.vectors = []; // the records hold them now
    if (!options.blobs || !doc.original) return writer!.add(doc, { documentId: doc.id, chunks: records });
    // The original first: a stored document always has its file to open. It is the bytes
    // that were hashed and parsed (not a second read, which could differ and cost the
    // main thread a second open/read/close per file).
    const keeping: Promise<void> = keepOriginal(options.blobs, options.collectionName, doc.id, doc.file.source, doc.original, doc.pages)
      .then(
        () => writer!.add(doc, { documentId: doc.id, chunks: records }),
        (error: Error) => fail(doc, { reason: `could not keep the original file: ${error.message}` }),
      )
      .finally(() => {
        doc.original = undefined;
        originals.delete(keeping);
      });
    originals.add(keeping);
  };

  const inflight = new Set<Promise<void>>();
  const embedBatch = (refs: ChunkRef[], isolated = false): void => {
    const live = refs.filter((r) => !r.doc.failed);
    if (live.length === 0 || fatal) return;
    const task = embedder!
      .embed(
        live.map((r) => r.doc.chunks[r.index]!.text),
        "passage",
        { signal: options.signal, lane: "batch" },
      )
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
            for (const doc of docs)
              embedBatch(
                live.filter((r) => r.doc === doc),
                true,
              );
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

  // Parsing runs ahead of the embedder. Files the parser hands to other threads (PDFs, in
  // a pool) start first, largest first, and are taken as soon as they are parsed, so that a
  // thousand small files never wait behind one PDF; the others are taken in order.
  const parser = options.parser ?? createInlineParser(options.chunkOptions);
  const offloaded = (file: SourceFile) => parser.offloads?.(file.source, file.size) ?? false;
  const heavy = files.filter(offloaded).sort((a, b) => b.size - a.size);
  const light = files.filter((f) => !offloaded(f));
  const maxHeavy = 2 * parser.concurrency;
  const maxLight = parser.offloads ? 8 + 2 * parser.concurrency : 2;
  const ahead = new Set<Promise<void>>();
  type Ready = { file: SourceFile; prepared: Prepared | FileOutcome };
  const readyHeavy: Ready[] = [];
  const readyLight = new Map<number, Ready>();
  let heavyInFlight = 0;
  let lightInFlight = 0;
  let lightLaunched = 0;
  let lightTaken = 0;
  let aheadBytes = 0;
  const start = (file: SourceFile, done: (entry: Ready) => void) => {
    aheadBytes += file.size;
    const task: Promise<void> = prepare(file, options, parser, existing).then((prepared) => {
      ahead.delete(task);
      aheadBytes -= file.size;
      done({ file, prepared });
    });
    ahead.add(task);
  };
  const fits = (file: SourceFile) => ahead.size === 0 || aheadBytes + file.size <= MAX_AHEAD_BYTES;
  const launch = () => {
    while (heavy.length > 0 && heavyInFlight < maxHeavy && fits(heavy[0]!)) {
      heavyInFlight++;
      start(heavy.shift()!, (entry) => {
        heavyInFlight--;
        readyHeavy.push(entry);
      });
    }
    while (lightLaunched < light.length && lightInFlight < maxLight && fits(light[lightLaunched]!)) {
      const position = lightLaunched++;
      lightInFlight++;
      start(light[position]!, (entry) => {
        lightInFlight--;
        readyLight.set(position, entry);
      });
    }
  };
  const next = (): Ready | undefined => {
    if (readyHeavy.length > 0) return readyHeavy.shift();
    const entry = readyLight.get(lightTaken);
    if (!entry) return undefined;
    readyLight.delete(lightTaken++);
    return entry;
  };
  for (;;) {
    if (fatal || options.signal?.aborted) break;
    launch();
    const entry = next();
    if (!entry) {
      if (ahead.size === 0) break;
      await Promise.race(ahead);
      continue;
    }
    const { file, prepared } = entry;
    if ("status" in prepared) {
      finish({ file }, prepared);
      continue;
    }
    if (options.dryRun) {
      finish({ file }, { source: file.source, status: "ingested", documentId: prepared.id, chunks: prepared.chunks.length, ...(prepared.warnings ? { warnings: prepared.warnings } : {}) });
      continue;
    }
    // Back-pressure: finished documents waiting for their commit bound the memory too.
    await writer!.below(MAX_PENDING_WRITE_BYTES);
    const doc: PendingDoc = { ...prepared, file, vectors: new Array(prepared.chunks.length), remaining: prepared.chunks.length, failed: false };
    if (!embedder) {
      write(doc); // keyword-only: stored without vectors
      continue;
    }
    buffer.push(...doc.chunks.map((_, index) => ({ doc, index })));
    await flush(false);
  }
  // Parses started ahead of an interruption finish on their own; their results are dropped.
  if (!fatal) await flush(true);
  while (inflight.size > 0) await Promise.race(inflight);
  while (originals.size > 0) await Promise.all(originals);
  await writer?.drain();

  if (fatal || options.signal?.aborted) {
    const why = fatal ? { ...failure(fatal), reason: `not ingested: ${fatal.message}` } : { reason: "not ingested: interrupted" };
    const done = new Set(outcomes.map((o) => o.source));
    for (const file of files) if (!done.has(file.source)) finish({ file }, { source: file.source, status: "failed", ...why });
  }
  // Reported in the order the files were given, whatever order they finished in.
  const position = new Map(files.map((f, i) => [f.source, i]));
  outcomes.sort((a, b) => position.get(a.source)! - position.get(b.source)!);
  return {
    files: outcomes,
    chunksWritten,
    embedRequests: (embedder?.stats().requests ?? 0) - requestsBefore,
    elapsedMs: Date.now() - started,
    ...(fatal ? { fatal: fatal.message } : {}),
  };
}

function keepOriginal(blobs: BlobStore, collection: string, id: string, source: string, bytes: Uint8Array, pages: number | undefined) {
  return blobs.put(collection, id, bytes, { name: source, contentType: contentTypeFor(source), ...(pages ? { pages } : {}) });
}

/**
 * What is stored for these files: looked up one by one for a few files (an upload into a
 * large collection), else listed once; nothing to read in an empty or missing collection.
 */
async function storedDocuments(files: SourceFile[], options: IngestOptions): Promise<Map<string, DocumentInfo>> {
  const { collection } = options;
  if (!collection || (await collection.count()) === 0) return new Map();
  if (files.length > LOOKUP_ONE_BY_ONE) return new Map((await collection.listDocuments()).map((d) => [d.documentId, d]));
  const ids = await Promise.all(files.map((f) => documentId(options.collectionName, f.identity ?? f.source, options.sha256)));
  const found = await Promise.all(ids.map((id) => collection.getDocument(id)));
  return new Map(found.filter((d) => d !== undefined).map((d) => [d.documentId, d]));
}

/** Read, hash, compare, parse and chunk one file; an outcome when there is nothing to embed. */
async function prepare(file: SourceFile, options: IngestOptions, parser: DocumentParser, existing: Map<string, DocumentInfo>): Promise<Prepared | FileOutcome> {
  const id = await documentId(options.collectionName, file.identity ?? file.source, options.sha256);
  try {
    const bytes = await file.read();
    const hash = await contentHash(bytes, options.settingsKey, options.sha256);
    const stored = existing.get(id);
    // Unchanged, unless it was stored without vectors and an embedder is here now, or under
    // another source (an absolute path, before sources became relative: rewritten once).
    if (stored && stored.contentHash === hash && stored.source === file.source && stored.chunks > 0 && (!options.embedder || stored.embedded === stored.chunks)) {
      // Documents stored before originals were kept get theirs now.
      if (options.blobs && !options.dryRun && !(await options.blobs.head(options.collectionName, id))) await keepOriginal(options.blobs, options.collectionName, id, file.source, bytes, undefined);
      return { source: file.source, status: "unchanged", documentId: id, chunks: stored.chunks };
    }
    const { title, pages, chunks, warnings } = await parser.parse(bytes, file.source, { timeoutMs: options.loadTimeoutMs ?? 60_000 });
    if (chunks.length === 0) return { source: file.source, status: "failed", documentId: id, reason: "no text to index" };
    return { id, hash, title, pages, chunks, warnings, ...(options.blobs && !options.dryRun ? { original: bytes } : {}) };
  } catch (error) {
    return { source: file.source, status: "failed", documentId: id, ...failure(error) };
  }
}
