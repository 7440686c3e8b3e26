/**
 * The cross-host lease store for a LANCEDB_URI on Node: DynamoDB items for `s3+ddb://`,
 * S3 objects with conditional writes for `s3://`; none for a local folder (one host:
 * the ingest command's local lock and LanceDB's own atomic commits suffice there).
 */
import { hostname } from "node:os";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { StorageLocation } from "../store/storage-location.js";
import { type ConditionalLeaseRecord, createConditionalLeaseStore } from "../coordination/conditional-lease-store.js";
import { dynamoDbLeaseBackend } from "../coordination/dynamodb-lease-backend.js";
import type { LeaseStore } from "../coordination/lease.js";
import { s3LeaseBackend } from "../coordination/s3-lease-backend.js";

/** A holder on this host whose process is gone: no need to wait for its lease to expire. */
function deadOnThisHost(holder: ConditionalLeaseRecord): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "EPERM";
  }
}

export function openLeaseStore(config: Config, location: StorageLocation, logger: Logger): LeaseStore | undefined {
  if (location.kind === "local") return undefined;
  const scope = `${location.bucket}/${location.prefix}`;
  const backend = location.kind === "s3+ddb" ? dynamoDbLeaseBackend(config, location.ddbTable!, scope) : s3LeaseBackend(config, location.bucket, location.prefix);
  return createConditionalLeaseStore(backend, {
    host: hostname(),
    pid: process.pid,
    isDead: deadOnThisHost,
    onTakeover: (key, previous) => logger.warn("lease taken over", { lease: key, previous: previous.owner, expired_at: new Date(previous.expiresAt).toISOString() }),
  });
}
