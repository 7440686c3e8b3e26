import type { IngestProgress } from "./pipeline.js";

/**
 * Shows an ingest run's progress: on a TTY a live status line (files, chunks, chunks/s,
 * ETA) redrawn in place; otherwise a plain log line every few seconds. Never silent.
 */
export interface ProgressReporter {
  update(progress: IngestProgress): void;
  /** Prints a line above the live status (e.g. a failed file). */
  log(line: string): void;
  stop(): void;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function describeProgress(p: IngestProgress, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (p.chunksEmbedded / elapsedMs) * 1000 : 0;
  // Work grows with bytes (parsing, embedding) and with files (each has a fixed cost): the ETA is
  // the longer of the two projections, so a run whose big files finished first is not "4s from
  // done" while a thousand small files remain.
  const project = (done: number, total: number) => (done >= total ? 0 : done > 0 ? (elapsedMs * (total - done)) / done : Number.NaN);
  const eta = Math.max(project(p.bytesDone, p.bytesTotal), project(p.filesDone, p.filesTotal));
  const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
  return `files ${p.filesDone}/${p.filesTotal} (${pct}%) · chunks ${p.chunksEmbedded} · ${rate.toFixed(1)} chunks/s · ETA ${duration(eta)}`;
}

export function createProgressReporter(stream: NodeJS.WriteStream, options: { intervalMs?: number } = {}): ProgressReporter {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  let last: IngestProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, chunksEmbedded: 0 };
  const draw = () => stream.write(`\r\x1b[K${describeProgress(last, Date.now() - started)}`);
  const timer = setInterval(() => (tty ? draw() : stream.write(`progress ${describeProgress(last, Date.now() - started)}\n`)), tty ? 250 : (options.intervalMs ?? 5000));
  timer.unref();
  return {
    update(progress) {
      last = progress;
    },
    log(line) {
      stream.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
      if (tty) draw();
    },
    stop() {
      clearInterval(timer);
      if (tty) stream.write("\r\x1b[K");
    },
  };
}
