import PQueue from "p-queue";

/**
 * One pacing queue per provider, shared by everything in the process (ingest,
 * questions, model listing), so together they never exceed the provider's limits.
 */
export interface PacerOptions {
  name: string;
  /** Requests started per rolling minute. */
  rpm: number;
  /** Requests in flight at once. */
  concurrency: number;
}

export interface Pacer {
  readonly name: string;
  readonly rpm: number;
  /**
   * Runs `fn` when a slot is free and the rate allows; the slot is held until `fn` settles.
   * With `maxWaitMs`, refuses at once (QueueFullError) when the queue ahead would take longer.
   */
  schedule<T>(fn: () => Promise<T>, options?: { signal?: AbortSignal | undefined; maxWaitMs?: number | undefined }): Promise<T>;
  /** Holds every queued request back for `ms` (after a 429: the provider wants quiet, not just this caller). */
  pauseFor(ms: number): void;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

/** The provider's queue is longer than the caller is willing to wait. */
export class QueueFullError extends Error {
  readonly estimateMs: number;
  constructor(name: string, estimateMs: number) {
    super(`The ${name} request queue is full (about ${Math.ceil(estimateMs / 1000)} s of requests ahead).`);
    this.name = "QueueFullError";
    this.estimateMs = estimateMs;
  }
}

export function createPacer(options: PacerOptions): Pacer {
  for (const key of ["rpm", "concurrency"] as const) {
    const value = options[key];
    if (!Number.isFinite(value) || value < 1) {
      throw new TypeError(`Expected \`${key}\` to be a finite number >= 1, got \`${value}\` (${typeof value})`);
    }
  }
  // One start per 60000/rpm ms in a sliding window: even spacing never bursts past
  // the limit in any rolling minute, and keeps the ceiling (rpm) fully usable.
  const interval = 60_000 / options.rpm;
  const queue = new PQueue({
    concurrency: options.concurrency,
    intervalCap: 1,
    interval,
    strict: true,
  });
  let resumeAt = 0;
  let resumeTimer: ReturnType<typeof setTimeout> | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;

  return {
    name: options.name,
    rpm: options.rpm,
    schedule(fn, { signal, maxWaitMs } = {}) {
      if (maxWaitMs !== undefined) {
        // Starts are spaced `interval` apart: the next free slot, then one slot per request queued ahead.
        const now = Date.now();
        const estimate = Math.max(0, resumeAt - now, lastStart + interval - now) + queue.size * interval;
        if (estimate > maxWaitMs) return Promise.reject(new QueueFullError(options.name, estimate));
      }
      return queue.add(() => {
        lastStart = Date.now();
        return fn();
      }, { signal });
    },
    pauseFor(ms) {
      const until = Date.now() + ms;
      if (until <= resumeAt) return;
      resumeAt = until;
      queue.pause();
      clearTimeout(resumeTimer);
      resumeTimer = setTimeout(() => queue.start(), ms);
    },
    get waiting() {
      return queue.size;
    },
  };
}
