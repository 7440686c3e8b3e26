/**
 * Leases: a named, expiring right to write, taken atomically through a backend that can
 * create-if-absent and compare-and-swap one small record (a DynamoDB item, an S3 object
 * with If-None-Match / If-Match). The holder renews it every third of its lifetime while
 * it runs; a holder killed with -9 stops renewing, and the next taker replaces the record
 * once it has expired. Clocks of the hosts must agree to well within the lifetime.
 * Nothing here imports a Node-only module: backends bring their own I/O.
 */

/** What a lease record says about its holder. */
export interface LeaseRecord {
  /** Unique per acquisition: `host:pid:random`. */
  owner: string;
  host: string;
  pid: number;
  acquiredAt: number;
  /** Milliseconds since the epoch after which anyone may take the lease over. */
  expiresAt: number;
}

/** The atomic operations a lease needs; `version` is the backend's compare-and-swap token (ETag, item token). */
export interface LeaseBackend {
  /** Where leases live, for messages (no secrets). */
  readonly where: string;
  /** Creates the record if none exists; otherwise returns the current one (undefined if it vanished meanwhile). */
  create(name: string, record: LeaseRecord): Promise<{ created: true; version: string } | { created: false; current?: { record: LeaseRecord; version: string } }>;
  /** Replaces the record if it is still at `version`; the new version, or undefined when someone else changed it. */
  replace(name: string, record: LeaseRecord, version: string): Promise<string | undefined>;
  /** Removes the record if it is still at `version`. */
  remove(name: string, version: string): Promise<void>;
}

export interface Lease {
  readonly name: string;
  readonly record: LeaseRecord;
  /** Aborted when the lease was lost (renewal refused or impossible past expiry): stop writing. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for a busy lease before giving up (default 0: fail at once). */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface Leases {
  readonly ttlMs: number;
  acquire(name: string, options?: AcquireOptions): Promise<Lease>;
}

export class LeaseBusyError extends Error {
  constructor(
    readonly leaseName: string,
    readonly holder: LeaseRecord,
  ) {
    super(`Lease "${leaseName}" is held by pid ${holder.pid} on ${holder.host} since ${new Date(holder.acquiredAt).toISOString()} (expires ${new Date(holder.expiresAt).toISOString()} unless renewed)`);
  }
}

export interface LeaseOptions {
  ttlMs: number;
  host: string;
  pid: number;
  now?: () => number;
  /** Whether a holder is known dead now (same host, no such pid): taken over without waiting for expiry. */
  isDead?: (holder: LeaseRecord) => boolean;
  /** Told when a lease is taken over from an expired or dead holder. */
  onTakeover?: (name: string, previous: LeaseRecord) => void;
}

const POLL_MS = 200;

export function createLeases(backend: LeaseBackend, options: LeaseOptions): Leases {
  const { ttlMs, host, pid } = options;
  const now = options.now ?? Date.now;
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });

  function hold(name: string, record: LeaseRecord, firstVersion: string): Lease {
    let version = firstVersion;
    let current = record;
    const lost = new AbortController();
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        if (lost.signal.aborted) return;
        const next = { ...current, expiresAt: now() + ttlMs };
        try {
          const renewed = await backend.replace(name, next, version);
          if (renewed === undefined) lost.abort(new Error(`Lease "${name}" was taken over by another process`));
          else [version, current] = [renewed, next];
        } catch (error) {
          // A blip is survivable while the lease lasts; past expiry someone may hold it.
          if (now() >= current.expiresAt) lost.abort(new Error(`Lease "${name}" expired: renewal failed (${(error as Error).message})`));
        }
      });
    }, Math.max(100, Math.floor(ttlMs / 3)));
    // A pending renewal never keeps a finished command alive.
    (timer as { unref?: () => void }).unref?.();
    lost.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    let released: Promise<void> | undefined;
    return {
      name,
      get record() {
        return current;
      },
      lost: lost.signal,
      release() {
        released ??= (async () => {
          clearInterval(timer);
          await renewing;
          if (!lost.signal.aborted) await backend.remove(name, version);
          lost.abort(new Error(`Lease "${name}" was released`));
        })();
        return released;
      },
    };
  }

  return {
    ttlMs,
    async acquire(name, { waitMs = 0, signal } = {}) {
      const deadline = now() + waitMs;
      for (;;) {
        signal?.throwIfAborted();
        const started = now();
        const record: LeaseRecord = { owner: `${host}:${pid}:${Math.random().toString(36).slice(2, 10)}`, host, pid, acquiredAt: started, expiresAt: started + ttlMs };
        const attempt = await backend.create(name, record);
        if (attempt.created) return hold(name, record, attempt.version);
        const holder = attempt.current;
        if (holder && (holder.record.expiresAt <= now() || options.isDead?.(holder.record))) {
          const version = await backend.replace(name, record, holder.version);
          if (version !== undefined) {
            options.onTakeover?.(name, holder.record);
            return hold(name, record, version);
          }
          continue; // another taker won the race: look again
        }
        if (!holder) continue; // released between our create and read
        if (now() >= deadline) throw new LeaseBusyError(name, holder.record);
        await sleep(Math.min(POLL_MS, deadline - now()), signal);
      }
    },
  };
}

/** Runs `work` while holding `name`; the lease is released however `work` ends. */
export async function withLease<T>(leases: Leases, name: string, options: AcquireOptions, work: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await leases.acquire(name, options);
  try {
    return await work(lease);
  } finally {
    await lease.release();
  }
}
