/**
 * The ingest command's one-run-per-collection lock for any LANCEDB_URI: the local lock
 * (lock.ts) on a folder; on object storage, where runs may start on different hosts, the
 * `ingest-<collection>` lease in the cross-host lease store, renewed while the run lives
 * and taken over once a killed run's lease expires.
 */
import type { Config } from "../../src/config.js";
import { LeaseBusyError, holdLease } from "../../src/coordination/lease.js";
import { openLeaseStore } from "../../src/runtime/node-leases.js";
import type { Logger } from "../../src/logger.js";
import { parseStorageLocation } from "../../src/store/storage-location.js";
import { CollectionBusyError, lockCollection } from "../lock.js";

/** Takes the run lock; `onLost` is called if the lease is lost mid-run (another run took over: stop writing). */
export async function lockIngestRun(config: Config, collection: string, logger: Logger, onLost: (reason: Error) => void): Promise<() => Promise<void>> {
  const location = parseStorageLocation(config.LANCEDB_URI);
  const leases = openLeaseStore(config, location, logger);
  try {
    // Never a URI as a folder name: only a local location reaches the file lease store.
    const held = leases ? await holdLease(leases, `ingest-${collection}`, { ttlMs: config.LEASE_TTL_MS }) : await lockCollection(location.kind === "local" ? location.path : ".", collection);
    held.lost.addEventListener("abort", () => onLost(held.lost.reason as Error), { once: true });
    return () => held.release();
  } catch (error) {
    if (!(error instanceof LeaseBusyError)) throw error;
    throw new CollectionBusyError(`Collection "${collection}" is being ingested by another process: ${error.message} If that process is gone, the next run takes over once its lease expires.`);
  }
}
