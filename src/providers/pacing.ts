/**
 * One pacing queue per provider, shared by everything in the process (ingest,
 * questions, model listing), so together they never exceed the provider's limits.
 *
 * The limit is `rpm` starts in any rolling window (60 s), not forced spacing: an idle
 * service sends an answer's two calls at once. Two lanes share the window: interactive
 * calls (questions, searches) always start before batch calls (ingest, uploads), and
 * batch work leaves a small reserve of the window free so that a question arriving in
 * the middle of an ingest finds a slot instead of waiting for the window to roll. It also
 * leaves one of the in-flight slots free: an upload's embedding calls otherwise hold every
 * slot (four, at NIM_CONCURRENCY=4), and a question waits for one of them to finish.
 */
export type Lane = "interactive" | "batch";

export interface PacerOptions {
  name: string;
  /** Requests started per rolling window. */
  rpm: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The rolling window (default 60000); tests shorten it. */
  windowMs?: number;
  /** Starts of the window batch work leaves to interactive calls (default: 2, or 0 below 10 rpm). */
  interactiveReserve?: number;
  /** In-flight slots batch work leaves to interactive calls (default: 1, or 0 when `concurrency` is 1). */
  interactiveSlots?: number;
}

export interface ScheduleOptions {
  signal?: AbortSignal | undefined;
  /** Refuse at once (QueueFullError) when this call, and its follow-ups, would wait longer. */
  maxWaitMs?: number | undefined;
  /** Default `interactive`. */
  lane?: Lane | undefined;
  /**
   * Calls the same request will make after this one (an answer's chat call after its
   * embedding): admission counts them, and their slots are held for them, so a burst
   * of questions does not admit more first calls than there is room to finish.
   */
  followUps?: number | undefined;
  /** This call is a follow-up announced earlier: it uses one held slot. */
  followUp?: boolean | undefined;
}

export interface Pacer {
  readonly name: string;
  readonly rpm: number;
  /** Runs `fn` when a slot is free and the rate allows; the slot is held until `fn` settles. */
  schedule<T>(fn: () => Promise<T>, options?: ScheduleOptions): Promise<T>;
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
  for (const key of ["rpm", "concurrency", "windowMs"] as const) {
    const value = options[key];
    if (key === "windowMs" && value === undefined) continue;
    if (!Number.isFinite(value) || (value as number) < 1) {
      throw new TypeError(`Expected \`${key}\` to be a finite number >= 1, got \`${value}\` (${typeof value})`);
    }
  }
  const { rpm, concurrency } = options;
  const reserve = options.interactiveReserve ?? (rpm >= 10 ? 2 : 0);
  if (!Number.isInteger(reserve) || reserve < 0 || reserve >= rpm) {
    throw new TypeError(`Expected \`interactiveReserve\` to be an integer >= 0 and < rpm, got \`${reserve}\` (${typeof reserve})`);
  }
  const slotReserve = options.interactiveSlots ?? (concurrency > 1 ? 1 : 0);
  if (!Number.isInteger(slotReserve) || slotReserve < 0 || slotReserve >= concurrency) {
    throw new TypeError(`Expected \`interactiveSlots\` to be an integer >= 0 and < concurrency, got \`${slotReserve}\` (${typeof slotReserve})`);
  }
  // A call counts from its start until a window after its answer came: the provider saw it
  // somewhere in between (later than we started it when our event loop was busy), and the
  // small margin keeps two arrivals a hair under a window apart from counting as one minute.
  const windowMs = options.windowMs ?? 60_000;
  const countedMs = windowMs + windowMs / 100;
  /** When each call in the window was last known to be at the provider, ascending. */
  const starts: number[] = [];
  const answered = (startedAt: number) => {
    const at = starts.indexOf(startedAt);
    if (at < 0) return;
    starts.splice(at, 1);
    const now = Date.now();
    let i = starts.length;
    while (i > 0 && starts[i - 1]! > now) i--;
    starts.splice(i, 0, now);
  };
  /** Expiry times of slots held for announced follow-ups (a request may never make its follow-up). */
  let held: number[] = [];
  const lanes: Record<Lane, ((startedAt: number) => void)[]> = { interactive: [], batch: [] };
  let running = 0;
  let resumeAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const prune = (now: number) => {
    while (starts.length > 0 && starts[0]! <= now - countedMs) starts.shift();
    if (held.length > 0 && held[0]! <= now) held = held.filter((t) => t > now);
  };

  const wakeAt = (at: number) => {
    if (at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - Date.now()),
    );
  };

  function pump(): void {
    const now = Date.now();
    prune(now);
    if (now < resumeAt) {
      wakeAt(resumeAt);
      return;
    }
    while (running < concurrency) {
      const interactive = lanes.interactive.length > 0 && starts.length < rpm;
      // Batch work leaves the reserve, the held slots and every waiting question their room.
      const batch = !interactive && lanes.batch.length > 0 && running < concurrency - slotReserve && starts.length + reserve + held.length + lanes.interactive.length < rpm;
      const next = interactive ? lanes.interactive.shift() : batch ? lanes.batch.shift() : undefined;
      if (!next) break;
      starts.push(now);
      running++;
      next(now);
    }
    // Work that has a free slot but not the window waits for the window to roll; work
    // without a slot waits for a call to settle, and a timer would only keep the process alive.
    const blocked = (lanes.interactive.length > 0 && running < concurrency) || (lanes.batch.length > 0 && running < concurrency - slotReserve);
    if (blocked && starts.length > 0) wakeAt(starts[0]! + countedMs);
    if (blocked && held.length > 0) wakeAt(held[0]!);
    if (lanes.interactive.length + lanes.batch.length === 0) {
      clearTimeout(timer);
      timerAt = Number.POSITIVE_INFINITY;
    }
  }

  /** How long the `n`-th start from now (0-based) waits for the window. */
  const windowWait = (n: number, now: number): number => {
    const index = starts.length + n;
    if (index < rpm) return 0;
    const rolledOff = index - rpm; // starts that must leave the window first
    if (rolledOff < starts.length) return starts[rolledOff]! + countedMs - now;
    return Math.ceil((index + 1) / rpm - 1) * countedMs;
  };

  return {
    name: options.name,
    rpm,
    schedule(fn, { signal, maxWaitMs, lane = "interactive", followUps = 0, followUp = false } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const now = Date.now();
      prune(now);
      if (followUp && held.length > 0) held.shift();
      if (maxWaitMs !== undefined) {
        const ahead = lanes.interactive.length + held.length + (lane === "batch" ? lanes.batch.length + reserve : 0);
        const estimate = Math.max(resumeAt - now, windowWait(ahead + followUps, now));
        if (estimate > maxWaitMs) return Promise.reject(new QueueFullError(options.name, estimate));
        // Held until the follow-up comes, or until it would have been refused anyway (it may never come).
        for (let i = 0; i < followUps; i++) held.push(now + estimate + maxWaitMs);
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const queue = lanes[lane];
          const at = queue.indexOf(entry);
          if (at >= 0) queue.splice(at, 1);
          reject(signal!.reason);
          pump(); // nothing left to wait for: drop the window timer
        };
        const entry = (startedAt: number) => {
          signal?.removeEventListener("abort", onAbort);
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              running--;
              answered(startedAt);
              pump();
            });
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        lanes[lane].push(entry);
        pump();
      });
    },
    pauseFor(ms) {
      const until = Date.now() + ms;
      if (until <= resumeAt) return;
      resumeAt = until;
      wakeAt(until);
    },
    get waiting() {
      return lanes.interactive.length + lanes.batch.length;
    },
  };
}
