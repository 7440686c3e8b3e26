import path from "node:path";
import { createFileLeaseStore } from "../src/node/file-lease-store.js";
import { type HeldLease, LeaseBusyError, holdLease } from "../src/coordination/lease.js";

/**
 * One ingest per collection at a time: a lease (src/coordination/lease.ts) in a directory
 * next to the database, renewed by heartbeat while the ingest runs. A run killed in any way
 * (kill -9 of its whole process group, a zombie left unreaped, a reused pid, a frozen host)
 * never blocks the next one: its lease is taken over as soon as its process is seen gone, or
 * when it expires.
 */
export class CollectionBusyError extends Error {}

/** Long enough for a stalled disk or a long GC pause; a crashed holder on this host is taken over at once anyway. */
export const INGEST_LEASE_TTL_MS = 30_000;

export async function lockCollection(dbDir: string, collection: string, options: { ttlMs?: number } = {}): Promise<HeldLease> {
  const dir = path.join(dbDir, ".askdocs-locks");
  try {
    return await holdLease(createFileLeaseStore({ dir }), collection, { ttlMs: options.ttlMs ?? INGEST_LEASE_TTL_MS });
  } catch (error) {
    if (!(error instanceof LeaseBusyError)) throw error;
    throw new CollectionBusyError(`Collection "${collection}" is being ingested by another process: ${error.message} Wait for it to finish, then run this again.`);
  }
}
