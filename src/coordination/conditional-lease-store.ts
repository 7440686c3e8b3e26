/**
 * A LeaseStore (lease.ts) over any backend that can atomically create a small record if
 * absent and replace it only if unchanged: a DynamoDB item with a conditional put
 * (dynamodb-lease-backend.ts), an S3 object written with If-None-Match / If-Match
 * (s3-lease-backend.ts). That is what makes it safe across hosts: two processes racing
 * for a free or expired lease cannot both win. A holder killed with -9 stops renewing and
 * is taken over once its lease expires (or at once, when it ran on this host and its pid
 * is gone); clocks must agree to well within the TTL.
 */
import { type AcquireOptions, type Lease, LeaseBusyError, type LeaseHolder, LeaseLostError, type LeaseStore } from "./lease.js";

export interface ConditionalLeaseRecord extends LeaseHolder {
  host: string;
  pid: number;
}

/** The atomic operations; `version` is the backend's compare-and-swap token (an ETag, an item token). */
export interface ConditionalLeaseBackend {
  /** Creates the record if none exists; otherwise returns the current one (none if it vanished meanwhile). */
  create(key: string, record: ConditionalLeaseRecord): Promise<{ created: true; version: string } | { created: false; current?: { record: ConditionalLeaseRecord; version: string } }>;
  /** Replaces the record if it is still at `version`: the new version, or undefined when it changed. */
  replace(key: string, record: ConditionalLeaseRecord, version: string): Promise<string | undefined>;
  /** Removes the record if it is still at `version`. */
  remove(key: string, version: string): Promise<void>;
}

export interface ConditionalLeaseStoreOptions {
  host: string;
  pid: number;
  now?: () => number;
  /** True when the holder is known dead now (same host, no such process): no need to wait for expiry. */
  isDead?: (holder: ConditionalLeaseRecord) => boolean;
  /** Told when an expired or dead holder's lease is taken over. */
  onTakeover?: (key: string, previous: ConditionalLeaseRecord) => void;
}

export function createConditionalLeaseStore(backend: ConditionalLeaseBackend, options: ConditionalLeaseStoreOptions): LeaseStore {
  const now = options.now ?? Date.now;
  const { host, pid } = options;

  function held(key: string, first: ConditionalLeaseRecord, firstVersion: string, ttlMs: number): Lease {
    let record = first;
    let version: string | undefined = firstVersion;
    return {
      key,
      get holder() {
        return record;
      },
      async renew() {
        if (version === undefined) throw new LeaseLostError(key);
        const next = { ...record, expiresAt: now() + ttlMs };
        const renewed = await backend.replace(key, next, version);
        if (renewed === undefined) {
          version = undefined;
          throw new LeaseLostError(key);
        }
        [record, version] = [next, renewed];
      },
      async release() {
        if (version === undefined) return;
        const last = version;
        version = undefined;
        await backend.remove(key, last);
      },
    };
  }

  return {
    async acquire(key, { ttlMs }: AcquireOptions) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const at = now();
        const record: ConditionalLeaseRecord = { token: crypto.randomUUID(), owner: `pid ${pid} on ${host}`, acquiredAt: at, expiresAt: at + ttlMs, host, pid };
        const result = await backend.create(key, record);
        if (result.created) return held(key, record, result.version, ttlMs);
        const current = result.current;
        if (!current) continue; // released between our create and our read: try again
        if (current.record.expiresAt > now() && !options.isDead?.(current.record)) throw new LeaseBusyError(key, current.record);
        const version = await backend.replace(key, record, current.version);
        if (version === undefined) continue; // another process took it over first: look again
        options.onTakeover?.(key, current.record);
        return held(key, record, version, ttlMs);
      }
      throw new Error(`Could not take the lease "${key}": it changed hands 20 times in a row`);
    },
  };
}
