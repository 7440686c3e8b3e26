/**
 * `askdocs ingest … --remote URL`: the same files pushed through a deployment's HTTP API
 * (a Worker, or a Node server on another host) instead of into the local LanceDB. Each
 * file goes up as `POST /v1/documents` with its source (relative to its root, as a local
 * ingest stores it), so `a/README.md` and `b/README.md` stay two documents. Idempotent without
 * uploading: the document list gives the server's chunk settings, so the content hash
 * of each local file is computed here and unchanged files are skipped. 429 and 5xx are
 * retried with back-off (honouring Retry-After); a 401 stops the run. Node-only (files).
 */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import type { FileOutcome, IngestProgress, IngestReport } from "../../src/runtime/ingest-service.js";
import type { FoundFile } from "../discover.js";
import { contentHash } from "../identity.js";
import { nodeSha256 } from "./sha256.js";

export interface RemoteOptions {
  /** The deployment's origin, e.g. `https://askdocs.example.workers.dev`. */
  url: string;
  /** RAG_API_KEY of the deployment, sent as a bearer token; never printed. */
  apiKey?: string | undefined;
  collection: string;
  dryRun?: boolean;
  /** Uploads in flight at once (default 2: the server embeds each one). */
  concurrency?: number;
  /** Retries of one upload on 429/5xx/network errors (default 4). */
  maxRetries?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
  onFile?: (outcome: FileOutcome) => void;
  fetch?: typeof fetch;
}

interface ListedDocument {
  document_id: string;
  source: string;
  content_hash: string;
}

/** A failure no other file can avoid (bad key, unreachable server): the run stops. */
class RemoteFatal extends Error {}

export async function ingestRemote(files: FoundFile[], options: RemoteOptions): Promise<IngestReport & { pruned?: string[] }> {
  const started = Date.now();
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, "");
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const progress: IngestProgress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((n, f) => n + f.size, 0), chunksEmbedded: 0 };
  const outcomes: FileOutcome[] = [];
  let chunksWritten = 0;
  let fatal: string | undefined;

  async function request(route: string, init: RequestInit = {}): Promise<Response> {
    const maxRetries = options.maxRetries ?? 4;
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      try {
        response = await doFetch(`${base}${route}`, { ...init, headers: { ...headers, ...init.headers }, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (attempt >= maxRetries) throw new RemoteFatal(`cannot reach ${base}: ${(error as Error).message}`);
      }
      if (response) {
        if (response.status === 401 || response.status === 403) throw new RemoteFatal(`${base} refused the key (HTTP ${response.status}): set RAG_API_KEY to the deployment's key`);
        if ((response.status !== 429 && response.status < 500) || attempt >= maxRetries) return response;
      }
      const retryAfter = Number(response?.headers.get("retry-after"));
      const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 60_000) : Math.min(500 * 2 ** attempt, 8000);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  const finish = (file: FoundFile, outcome: FileOutcome) => {
    outcomes.push(outcome);
    progress.filesDone++;
    progress.bytesDone += file.size;
    options.onFile?.(outcome);
    options.onProgress?.({ ...progress });
  };

  try {
    const listing = await request(`/v1/documents?collection=${encodeURIComponent(options.collection)}`);
    // 404: the collection does not exist yet; the first upload creates it.
    const listed = listing.status === 404 ? undefined : await bodyOf(listing);
    if (listing.status !== 404 && !listing.ok) throw new RemoteFatal(`${base} could not list collection "${options.collection}": ${errorMessage(listed, listing.status)}`);
    const settings = (listed as { chunk_settings?: unknown } | undefined)?.chunk_settings;
    const stored = new Map(((listed as { data?: ListedDocument[] } | undefined)?.data ?? []).map((d) => [d.source, d]));

    const queue = [...files];
    const worker = async () => {
      for (let file = queue.shift(); file && !fatal && !options.signal?.aborted; file = queue.shift()) {
        const source = file.source;
        try {
          const bytes = new Uint8Array(await readFile(file.path));
          const known = stored.get(source);
          if (known && typeof settings === "string" && known.content_hash === (await contentHash(bytes, settings, nodeSha256))) {
            finish(file, { source, status: "unchanged", documentId: known.document_id });
            continue;
          }
          if (options.dryRun) {
            finish(file, { source, status: "ingested" });
            continue;
          }
          const form = new FormData();
          form.append("file", new File([bytes], path.basename(source)));
          form.append("collection", options.collection);
          form.append("source", source);
          const response = await request("/v1/documents", { method: "POST", body: form });
          const body = await bodyOf(response);
          if (!response.ok) {
            finish(file, { source, status: "failed", reason: errorMessage(body, response.status), httpStatus: response.status });
            continue;
          }
          const result = body as { document_id: string; chunks: number; status: "ingested" | "unchanged"; warnings?: string[] };
          if (result.status === "ingested") {
            chunksWritten += result.chunks;
            progress.chunksEmbedded += result.chunks;
          }
          finish(file, { source, status: result.status, documentId: result.document_id, chunks: result.chunks, ...(result.warnings ? { warnings: result.warnings } : {}) });
        } catch (error) {
          if (error instanceof RemoteFatal) {
            fatal = error.message;
            queue.unshift(file);
            return;
          }
          if (options.signal?.aborted) return;
          finish(file, { source, status: "failed", reason: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
    // Whatever the fatal error left undone fails with it.
    for (const file of queue) finish(file, { source: file.source, status: "failed", reason: fatal ?? "interrupted" });
    return { files: outcomes, chunksWritten, embedRequests: 0, elapsedMs: Date.now() - started, ...(fatal ? { fatal } : {}) };
  } catch (error) {
    if (!(error instanceof RemoteFatal)) throw error;
    for (const file of files) finish(file, { source: file.source, status: "failed", reason: error.message });
    return { files: outcomes, chunksWritten, embedRequests: 0, elapsedMs: Date.now() - started, fatal: error.message };
  }
}

/** `--prune` remotely: the collection mirrors this run's roots; deletes documents whose source exists under none of them. */
export async function pruneRemote(roots: string[], options: Pick<RemoteOptions, "url" | "apiKey" | "collection" | "dryRun" | "fetch">): Promise<string[]> {
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, "");
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const listing = await doFetch(`${base}/v1/documents?collection=${encodeURIComponent(options.collection)}`, { headers });
  if (listing.status === 404) return [];
  const body = await bodyOf(listing);
  if (!listing.ok) throw new Error(`${base} could not list collection "${options.collection}": ${errorMessage(body, listing.status)}`);
  const gone: string[] = [];
  for (const doc of (body as { data: ListedDocument[] }).data) {
    const found = await Promise.all(
      roots.map((root) =>
        access(path.join(root, doc.source)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (path.isAbsolute(doc.source) || found.includes(true)) continue;
    if (!options.dryRun) {
      const response = await doFetch(`${base}/v1/documents/${doc.document_id}?collection=${encodeURIComponent(options.collection)}`, { method: "DELETE", headers });
      if (!response.ok && response.status !== 404) throw new Error(`${base} could not delete ${doc.source}: ${errorMessage(await bodyOf(response), response.status)}`);
    }
    gone.push(doc.source);
  }
  return gone;
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 300);
  }
}

function errorMessage(body: unknown, status: number): string {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === "string" ? message : `HTTP ${status}${typeof body === "string" && body ? `: ${body}` : ""}`;
}
