/**
 * The lease backend for a LANCEDB_URI on Node: DynamoDB items for `s3+ddb://`, S3 objects
 * with conditional writes for `s3://`, none for a local folder (one host: the ingest
 * command's pid-file lock and LanceDB's own atomic commits suffice there).
 */
import { hostname } from "node:os";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { StorageLocation } from "../store/storage-location.js";
import { dynamoDbLeaseBackend } from "./dynamodb-leases.js";
import { createLeases, type LeaseRecord, type Leases } from "./lease.js";
import { s3LeaseBackend } from "./s3-leases.js";

/** A holder on this host whose process is gone: no need to wait for its lease to expire. */
function deadOnThisHost(holder: LeaseRecord): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "EPERM";
  }
}

export function openLeases(config: Config, location: StorageLocation, logger: Logger): Leases | undefined {
  if (location.kind === "local") return undefined;
  const scope = `${location.bucket}/${location.prefix}`;
  const backend = location.kind === "s3+ddb" ? dynamoDbLeaseBackend(config, location.ddbTable!, scope) : s3LeaseBackend(config, location.bucket, location.prefix);
  return createLeases(backend, {
    ttlMs: config.LEASE_TTL_MS,
    host: hostname(),
    pid: process.pid,
    isDead: deadOnThisHost,
    onTakeover: (name, previous) => logger.warn("lease taken over", { lease: name, previous_host: previous.host, previous_pid: previous.pid, expired_at: new Date(previous.expiresAt).toISOString() }),
  });
}
