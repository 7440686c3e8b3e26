/**
 * `POST /v1/documents` runs one uploaded file through the same pipeline as the ingest
 * command (re-uploading a source replaces that document; `source`, a relative path, is
 * optional: the file's base name otherwise), which keeps the original in the blob store;
 * `GET` lists, `GET …/:id/source` serves the original, `DELETE` removes both.
 */
import { Hono } from "hono";
import type { z } from "zod";
import { bodyLimit } from "hono/body-limit";
import { charsetOf } from "../../blobs/blob-store.js";
import { AppError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { uploadResponse } from "../openapi/responses.js";
import { uploadName } from "../../source-name.js";
import type { Collection } from "../../store/vector-store.js";
import { readUploadForm } from "../multipart.js";
import { presentDocument } from "../present.js";
import { collectionName, collectionQuery, documentPath, uploadSource } from "../schemas.js";
import { pathParams, queryParams } from "../validate.js";

/** Uploads come one by one: index upkeep waits for a quiet moment instead of running per file. */
const UPKEEP_DELAY_MS = 10_000;

type UploadResponse = z.infer<typeof uploadResponse>;

export function documentRoutes(deps: Runtime) {
  const maxBytes = deps.config.MAX_UPLOAD_MB * 1024 * 1024;
  const app = new Hono();
  const upkeepTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const scheduleUpkeep = (collection: Collection) => {
    const { upkeep } = collection;
    if (!upkeep) return;
    clearTimeout(upkeepTimers.get(collection.name));
    const timer = setTimeout(() => {
      upkeepTimers.delete(collection.name);
      upkeep.call(collection).then(
        (r) => deps.logger.info("index upkeep", { collection: collection.name, created: r.createdIndexes.join(",") || undefined, compacted: r.compactedFragments, ms: r.durationMs }),
        (error: Error) => deps.logger.warn("index upkeep failed", { collection: collection.name, error: error.message }),
      );
    }, UPKEEP_DELAY_MS);
    // A pending upkeep never holds the process open: the next write or ingest does it instead.
    (timer as { unref?: () => void }).unref?.();
    upkeepTimers.set(collection.name, timer);
  };

  app.post(
    "/v1/documents",
    bodyLimit({
      maxSize: maxBytes + 64 * 1024, // multipart framing
      onError: () => {
        throw new AppError(413, "payload_too_large", `Upload too large: the limit is ${deps.config.MAX_UPLOAD_MB} MB (MAX_UPLOAD_MB).`);
      },
    }),
    async (c) => {
      const form = await readUploadForm(c);
      if (Array.isArray(form.file)) throw new InvalidRequestError("Send one file per request in the field `file`.", [{ path: "file", message: "more than one file" }]);
      const file = form.file;
      if (!(file instanceof File)) throw new InvalidRequestError("Missing file: send it in the multipart field `file`.", [{ path: "file", message: "required" }]);
      const collection = collectionName.safeParse(form.collection === "" ? undefined : form.collection);
      if (!collection.success) throw new InvalidRequestError(`Invalid collection: ${collection.error.issues[0]!.message}`, [{ path: "collection", message: collection.error.issues[0]!.message }]);
      const source = typeof form.source === "string" && form.source !== "" ? uploadSource.safeParse(form.source) : undefined;
      if (source && !source.success) throw new InvalidRequestError(`Invalid source: ${source.error.issues[0]!.message}`, [{ path: "source", message: source.error.issues[0]!.message }]);
      const name = source?.data ?? uploadName(file.name);
      deps.ingest.assertSupported(name);
      if (file.size > maxBytes) throw new AppError(413, "payload_too_large", `Upload too large: the limit is ${deps.config.MAX_UPLOAD_MB} MB (MAX_UPLOAD_MB).`);
      // Without an embedder the chunks are stored for keyword search, in a collection tagged
      // with the configured model so that a later ingest can add their vectors.
      const target = await deps.store.openCollection(collection.data, { embedModel: deps.config.EMBED_MODEL, dims: deps.ingest.dims });
      const report = await deps.ingest.ingest(collection.data, target, [{ source: name, size: file.size, read: async () => new Uint8Array(await file.arrayBuffer()) }], { signal: c.req.raw.signal });
      const outcome = report.files[0]!;
      if (outcome.status === "failed") throw new AppError(outcome.httpStatus ?? 422, outcome.code ?? "ingest_failed", `${name}: ${outcome.reason}`);
      if (outcome.status === "ingested") scheduleUpkeep(target);
      const body: UploadResponse = {
        document_id: outcome.documentId,
        source: name,
        collection: collection.data,
        chunks: outcome.chunks,
        status: outcome.status,
        ...(outcome.warnings ? { warnings: outcome.warnings } : {}),
      };
      return c.json(body, outcome.status === "ingested" ? 201 : 200);
    },
  );

  app.get("/v1/documents", async (c) => {
    const { collection } = queryParams(c, collectionQuery);
    const docs = await deps.store.openExistingCollection(collection).then((col) => col.listDocuments());
    const originals = await Promise.all(docs.map((d) => deps.blobs?.head(collection, d.documentId)));
    return c.json({
      collection,
      // With these settings a client computes content hashes itself (ingest/identity.ts) and uploads only changed files.
      chunk_settings: deps.ingest.settingsKey,
      data: docs.map((d, i) => presentDocument(d, originals[i])),
    });
  });

  app.delete("/v1/documents/:id", async (c) => {
    const { id } = pathParams(c, documentPath);
    const { collection } = queryParams(c, collectionQuery);
    const target = await deps.store.openExistingCollection(collection);
    if (!(await target.deleteDocument(id))) throw new NotFoundError(`No document ${id} in collection "${collection}".`);
    await deps.blobs?.delete(collection, id);
    scheduleUpkeep(target);
    return c.json({ deleted: id, collection });
  });

  app.get("/v1/documents/:id/source", async (c) => {
    const { id } = pathParams(c, documentPath);
    const { collection } = queryParams(c, collectionQuery);
    const blob = await deps.blobs?.get(collection, id);
    if (!blob) throw new NotFoundError(`No original file kept for document ${id} in collection "${collection}".`);
    const { contentType, name } = blob.meta;
    return c.body(blob.bytes as Uint8Array<ArrayBuffer>, 200, {
      // Text keeps its bytes (it may be GBK); the charset tells the browser how to read them.
      "Content-Type": contentType.startsWith("text/") ? `${contentType}; charset=${charsetOf(blob.bytes)}` : contentType,
      "Content-Disposition": `inline; filename*=UTF-8''${encodeURIComponent(name.split(/[\\/]/).pop()!)}`,
      // An uploaded HTML file must not run as this origin (where the page keeps the API key).
      "Content-Security-Policy": "sandbox",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-cache",
    });
  });

  return app;
}
