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
  /** Runs `fn` when a slot is free and the rate allows; the slot is held until `fn` settles. */
  schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Holds every queued request back for `ms` (after a 429: the provider wants quiet, not just this caller). */
  pauseFor(ms: number): void;
  /** Requests waiting for a slot. */
  readonly waiting: number;
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
  const queue = new PQueue({
    concurrency: options.concurrency,
    intervalCap: 1,
    interval: 60_000 / options.rpm,
    strict: true,
  });
  let resumeAt = 0;
  let resumeTimer: ReturnType<typeof setTimeout> | undefined;

  return {
    name: options.name,
    rpm: options.rpm,
    schedule(fn, signal) {
      return queue.add(fn, { signal });
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
