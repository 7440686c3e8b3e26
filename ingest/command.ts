/**
 * `askdocs ingest <file|folder|glob>... [--collection NAME] [--prune] [--dry-run]`, a
 * composition root: the Node runtime, the pipeline through it, progress and a summary.
 * Exit codes: 0 every file ingested or unchanged; 1 some file failed (the rest are
 * ingested); 2 bad usage or configuration; 130 interrupted.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { configOrReport } from "../src/config.js";
import { configuredLogger } from "../src/logger.js";
import type { FileOutcome, IngestReport } from "../src/runtime/ingest-service.js";
import type { BlobStore } from "../src/blobs/blob-store.js";
import { openNodeRuntime } from "../src/runtime/node-runtime.js";
import { COLLECTION_NAME, type Collection } from "../src/store/vector-store.js";
import { discoverFiles, sourceFiles } from "./discover.js";
import { documentId } from "./identity.js";
import { nodeSha256 } from "./node/sha256.js";
import { CollectionBusyError } from "./lock.js";
import { ingestRemote, pruneRemote } from "./node/remote.js";
import { lockIngestRun } from "./node/run-lock.js";
import { createProgressReporter } from "./progress.js";

const USAGE = `usage: askdocs ingest <file|folder|glob>... [--collection NAME] [--prune] [--dry-run] [--remote URL]

  --collection NAME  collection to ingest into (default "default")
  --prune            remove documents whose files no longer exist
  --dry-run          parse and chunk only; embed and write nothing
  --remote URL       upload through a deployment's HTTP API (a Worker, or askdocs on another
                     host) instead of the local LanceDB; sources as a local ingest stores
                     them; --prune mirrors the given folders; the key is RAG_API_KEY`;

export async function runIngest(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const out = process.stdout;
  const err = process.stderr;
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        collection: { type: "string", default: "default" },
        prune: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        remote: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    err.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const inputs = args.positionals[0] === "ingest" ? args.positionals.slice(1) : args.positionals;
  const collectionName = args.values.collection;
  const dryRun = args.values["dry-run"];
  if (inputs.length === 0 && !args.values.prune) {
    err.write(`Nothing to ingest: name at least one file, folder or glob.\n${USAGE}\n`);
    return 2;
  }
  if (!COLLECTION_NAME.test(collectionName)) {
    err.write(`Invalid --collection "${collectionName}": use 1-64 letters, digits, "_" or "-", starting with a letter or digit.\n`);
    return 2;
  }

  if (args.values.remote !== undefined) return runRemote(inputs, { url: args.values.remote, apiKey: env.RAG_API_KEY || undefined, collection: collectionName, dryRun, prune: args.values.prune });

  const config = configOrReport(env, (message) => err.write(`${message}\n`));
  if (!config) return 2;
  const found = await discoverFiles(inputs);
  for (const s of found.skipped) out.write(`skipped ${s.source}: ${s.reason}\n`);
  for (const m of found.missing) err.write(`not found: ${m} (no such file, folder or matching glob)\n`);

  const logger = configuredLogger(config);
  const controller = new AbortController();
  // A lost lease means another process may write now: stop at the next file, keeping what is whole.
  const onLeaseLost = (reason: Error) => controller.abort(reason);
  const release = dryRun
    ? undefined
    : await lockIngestRun(config, collectionName, logger, onLeaseLost).catch((error: unknown) => {
        if (error instanceof CollectionBusyError) return error;
        throw error;
      });
  if (release instanceof CollectionBusyError) {
    err.write(`${release.message}\n`);
    return 1;
  }

  const rt = await openNodeRuntime(config, { logger });
  const { store, providers } = rt;
  if (!providers.embedder && !dryRun) {
    err.write(`${providers.embedderMissing} Storing chunks for keyword search only; the next run with a provider adds their vectors.\n`);
  }
  const model = { embedModel: config.EMBED_MODEL, dims: rt.ingest.dims };
  const onSignal = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = createProgressReporter(err);
  try {
    const collection: Collection | undefined = dryRun ? await store.openCollection(collectionName, { ...model, create: false }).catch(() => undefined) : await store.openCollection(collectionName, model);
    const retriesBefore = providers.retries();
    const report = await rt.ingest.ingest(collectionName, collection, sourceFiles(found.files), {
      dryRun,
      concurrency: Math.max(2, config.EMBED_BASE_URL ? config.EMBED_CONCURRENCY : config.NIM_CONCURRENCY),
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      onFile: (o) => logOutcome(progress, o),
    });
    const pruned = args.values.prune && collection ? await prune(collection, collectionName, found.roots, dryRun, rt.blobs) : [];
    progress.stop();
    // Indexes and compaction after the writes, not during: one pass per run.
    if (collection?.upkeep && !dryRun && !controller.signal.aborted && (report.chunksWritten > 0 || pruned.length > 0)) {
      // Building a vector index can take minutes on a large collection: say so first.
      out.write("index upkeep: compacting and updating indexes…\n");
      const upkeep = await collection.upkeep();
      out.write(
        `index upkeep: ${upkeep.createdIndexes.length ? `created ${upkeep.createdIndexes.join(", ")}; ` : ""}compacted ${upkeep.compactedFragments} fragments, removed ${upkeep.removedVersions} old versions in ${(upkeep.durationMs / 1000).toFixed(1)} s\n`,
      );
    }
    for (const p of pruned) out.write(`${dryRun ? "would prune" : "pruned"} ${p}\n`);
    printSummary(out, report, {
      skipped: found.skipped.length,
      missing: found.missing.length,
      pruned: pruned.length,
      retries: providers.retries() - retriesBefore,
      truncated: providers.embedder?.stats().truncated ?? 0,
      dryRun,
    });
    return exitCode(report, found.missing.length, controller.signal.aborted);
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await rt.close();
    await release?.();
  }
}

/** `--remote URL`: the same discovery, progress, summary and exit codes, over the deployment's HTTP API. */
async function runRemote(inputs: string[], options: { url: string; apiKey: string | undefined; collection: string; dryRun: boolean; prune: boolean }): Promise<number> {
  const out = process.stdout;
  const err = process.stderr;
  if (!/^https?:\/\/[^/]+/.test(options.url)) {
    err.write(`Invalid --remote "${options.url}": expected the deployment's http(s) URL, e.g. https://askdocs.example.workers.dev\n`);
    return 2;
  }
  const found = await discoverFiles(inputs);
  for (const s of found.skipped) out.write(`skipped ${s.source}: ${s.reason}\n`);
  for (const m of found.missing) err.write(`not found: ${m} (no such file, folder or matching glob)\n`);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = createProgressReporter(err);
  const remote = { url: options.url, apiKey: options.apiKey, collection: options.collection, dryRun: options.dryRun };
  try {
    const report = await ingestRemote(found.files, {
      ...remote,
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      onFile: (o) => logOutcome(progress, o),
    });
    const pruned = options.prune && !report.fatal && !controller.signal.aborted ? await pruneRemote(found.roots, remote) : [];
    progress.stop();
    for (const p of pruned) out.write(`${options.dryRun ? "would prune" : "pruned"} ${p}\n`);
    printSummary(out, report, { skipped: found.skipped.length, missing: found.missing.length, pruned: pruned.length, retries: 0, truncated: 0, dryRun: options.dryRun });
    return exitCode(report, found.missing.length, controller.signal.aborted);
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * Deletes documents whose source file is gone; returns their sources. A relative source is
 * checked under each root of this run, at the path its id was made from; documents under
 * no root of this run (uploads, other folders) are left alone.
 */
async function prune(collection: Collection, collectionName: string, roots: string[], dryRun: boolean, blobs: BlobStore | undefined): Promise<string[]> {
  const gone: string[] = [];
  for (const doc of await collection.listDocuments()) {
    const candidates = path.isAbsolute(doc.source) ? [doc.source] : roots.map((root) => path.posix.join(root, doc.source));
    let file: string | undefined;
    for (const candidate of candidates) if ((await documentId(collectionName, candidate, nodeSha256)) === doc.documentId) file = candidate;
    if (file === undefined) continue;
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    if (!dryRun) {
      await collection.deleteDocument(doc.documentId);
      await blobs?.delete(collection.name, doc.documentId);
    }
    gone.push(doc.source);
  }
  return gone;
}

/** A failed file's reason, and what an ingested file was read around, above the progress line. */
function logOutcome(progress: { log(line: string): void }, outcome: FileOutcome): void {
  if (outcome.status === "failed") progress.log(`failed ${outcome.source}: ${outcome.reason}`);
  for (const warning of outcome.warnings ?? []) progress.log(`warning ${outcome.source}: ${warning}`);
}

function printSummary(out: NodeJS.WriteStream, report: IngestReport, extra: { skipped: number; missing: number; pruned: number; retries: number; truncated: number; dryRun: boolean }) {
  const count = (status: string) => report.files.filter((f) => f.status === status).length;
  const failed = report.files.filter((f) => f.status === "failed");
  const chunks = report.files.filter((f) => f.status === "ingested").reduce((n, f) => n + (f.chunks ?? 0), 0);
  out.write(`\n${extra.dryRun ? "dry run: nothing was embedded or written\n" : ""}`);
  if (report.fatal) out.write(`stopped early: ${report.fatal}\n`);
  for (const f of failed) out.write(`failed: ${f.source}: ${f.reason}\n`);
  out.write(
    `files: ${count("ingested")} ${extra.dryRun ? "to ingest" : "ingested"}, ${count("unchanged")} unchanged, ${extra.skipped} skipped, ${failed.length + extra.missing} failed${extra.pruned ? `, ${extra.pruned} pruned` : ""}\n`,
  );
  out.write(
    `chunks: ${extra.dryRun ? chunks : report.chunksWritten} ${extra.dryRun ? "would be written" : "written"} · embedding requests: ${report.embedRequests} · retries: ${extra.retries}${extra.truncated ? ` · truncated inputs: ${extra.truncated}` : ""} · elapsed: ${(report.elapsedMs / 1000).toFixed(1)} s\n`,
  );
}

// Run when executed directly (npm run ingest: dist/ingest/command.js; tsx: ingest/command.ts), not when imported by tests or the bin.
if (/ingest[\\/]command\.[jt]s$/.test(process.argv[1] ?? "")) {
  process.exitCode = await runIngest(process.argv.slice(2), process.env);
}

/** 130 interrupted; 1 when a file failed or a named path was missing; else 0. */
function exitCode(report: IngestReport, missing: number, aborted: boolean): number {
  if (aborted) return 130;
  return report.files.some((f) => f.status === "failed") || missing > 0 ? 1 : 0;
}
