/**
 * A lease: exclusive, time-limited ownership of a named resource (one ingest per
 * collection). The holder renews it by heartbeat; a holder that stops renewing (killed,
 * frozen, on a host that went away) loses it when it expires, so no crash can wedge it.
 * Stores decide liveness earlier where they can (the local-file store asks the OS whether
 * the holding process still exists). This file is the runtime-agnostic contract; the
 * local-file store is src/node/file-lease-store.ts, and stores shared across hosts implement the same
 * interface.
 */
export interface LeaseHolder {
  /** Unique per acquisition: a renewal or release by anyone else's token is refused. */
  token: string;
  /** Who holds it, for messages: e.g. `pid 4242 on build-7`. */
  owner: string;
  acquiredAt: number;
  /** Epoch ms after which the lease is free unless renewed. */
  expiresAt: number;
}

export interface Lease {
  readonly key: string;
  readonly holder: LeaseHolder;
  /** Extends the expiry by the lease's TTL; throws LeaseLostError when someone else holds it now. */
  renew(): Promise<void>;
  /** Gives the lease up (only if still ours); safe to call twice. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long the lease lasts without a renewal. */
  ttlMs: number;
}

export interface LeaseStore {
  /** Takes the lease, taking over an expired or dead holder's; throws LeaseBusyError while a live holder has it. */
  acquire(key: string, options: AcquireOptions): Promise<Lease>;
}

export class LeaseBusyError extends Error {
  readonly holder: LeaseHolder;
  constructor(key: string, holder: LeaseHolder) {
    super(`"${key}" is held by ${holder.owner} since ${new Date(holder.acquiredAt).toISOString()} (lease expires ${new Date(holder.expiresAt).toISOString()} unless renewed).`);
    this.name = "LeaseBusyError";
    this.holder = holder;
  }
}

export class LeaseLostError extends Error {
  constructor(key: string) {
    super(`The lease on "${key}" was lost (it expired and another process took it over).`);
    this.name = "LeaseLostError";
  }
}

export interface HeldLease {
  lease: Lease;
  /** Aborted when a renewal finds the lease lost: the holder must stop writing. */
  lost: AbortSignal;
  /** Stops the heartbeat and releases the lease. */
  release(): Promise<void>;
}

/**
 * Acquires and keeps renewing a lease every `ttlMs / 3`, so two missed beats still leave it
 * held. The heartbeat timer never keeps the process alive by itself.
 */
export async function holdLease(store: LeaseStore, key: string, options: AcquireOptions & { heartbeatMs?: number }): Promise<HeldLease> {
  const lease = await store.acquire(key, options);
  const controller = new AbortController();
  const every = options.heartbeatMs ?? Math.max(10, Math.floor(options.ttlMs / 3));
  let beating: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (beating) return; // one renewal at a time: a slow disk skips beats rather than piling them up
    beating = lease
      .renew()
      .catch((error: unknown) => {
        // A renewal that failed for another reason (a slow disk) is retried on the next beat; expiry is the backstop.
        if (error instanceof LeaseLostError) {
          clearInterval(timer);
          controller.abort(error);
        }
      })
      .finally(() => {
        beating = undefined;
      });
  }, every);
  (timer as { unref?: () => void }).unref?.();
  let released: Promise<void> | undefined;
  return {
    lease,
    lost: controller.signal,
    release() {
      released ??= (async () => {
        clearInterval(timer);
        await beating;
        await lease.release();
      })();
      return released;
    },
  };
}
