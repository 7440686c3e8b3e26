/**
 * What the core asks of document ingest, and the shapes it reports in. The pipeline in
 * `ingest/` implements it; the HTTP upload route, the commands and later doors use it
 * through the runtime, so that library code in `src/` never imports `ingest/`.
 */
import type { Collection } from "../store/vector-store.js";

export interface SourceFile {
  /** Path relative to the ingest root, or upload name: the document's citation (and identity, unless `identity` is set). */
  source: string;
  /** What the document id derives from when it is not `source` (the command: the absolute path). */
  identity?: string;
  /** Bytes, for progress and ETA. */
  size: number;
  read(): Promise<Uint8Array>;
}

export type FileStatus = "ingested" | "unchanged" | "failed";

export interface FileOutcome {
  source: string;
  status: FileStatus;
  documentId?: string;
  chunks?: number;
  reason?: string;
  /** For an ingested file: what was read around (a PDF page skipped, a damaged stream repaired). */
  warnings?: string[];
  /** For HTTP uploads: the failure's error code and status (415 unsupported, 422 unusable file, 502 provider…). */
  code?: string;
  httpStatus?: number;
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  chunksEmbedded: number;
}

export interface IngestReport {
  files: FileOutcome[];
  chunksWritten: number;
  embedRequests: number;
  elapsedMs: number;
  /** Set when a failure made every remaining file fail too (bad key, no quota, unknown model). */
  fatal?: string;
}

export interface IngestRunOptions {
  /** Parse and chunk only: nothing is embedded or written. */
  dryRun?: boolean;
  /** Embedding requests in flight at once (default 4); the provider's queue still paces them. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
  onFile?: (outcome: FileOutcome) => void;
}

export interface IngestService {
  /** Vector size of the configured embedding model, for collections created before any vector exists. */
  readonly dims: number;
  /** Names the chunk settings mixed into every content hash (ingest/identity.ts `contentHash`). */
  readonly settingsKey: string;
  /** Throws a 415 LoadError naming the supported types when askdocs cannot read `name`. */
  assertSupported(name: string): void;
  /**
   * Runs files through the pipeline into a collection (undefined only on a dry run of a
   * collection that does not exist yet). A bad file fails alone, with a reason.
   */
  ingest(collectionName: string, collection: Collection | undefined, files: SourceFile[], options?: IngestRunOptions): Promise<IngestReport>;
}
