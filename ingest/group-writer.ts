/**
 * Group commits for ingest: finished documents are written several per store commit
 * (`writeDocuments`, each document still whole or not at all), bounded by rows, bytes
 * and time. One commit runs at a time; documents finished meanwhile form the next group,
 * so the faster documents arrive, the larger the groups and the fewer the commits (each
 * LanceDB commit adds a fragment and costs more as they pile up). A group the store
 * refuses is retried one document at a time, so that a bad document fails alone.
 */
import type { Collection, DocumentWrite } from "../src/store/vector-store.js";

export interface GroupWriterOptions<T> {
  collection: Collection;
  /** Chunks per commit (default 4000); a larger document is still written whole, alone. */
  maxRows?: number;
  /** Approximate bytes per commit (default 32 MiB). */
  maxBytes?: number;
  /** Longest wait of a finished document for its commit while none is running (default 250 ms). */
  lingerMs?: number;
  onWritten(item: T, write: DocumentWrite): void;
  onFailed(item: T, error: unknown): void;
}

export interface GroupWriter<T> {
  add(item: T, write: DocumentWrite): void;
  /** Bytes waiting for a commit (for back-pressure). */
  readonly pendingBytes: number;
  /** Resolves when the waiting bytes drop below `bytes`. */
  below(bytes: number): Promise<void>;
  /** Writes everything added so far. */
  drain(): Promise<void>;
}

interface Entry<T> {
  item: T;
  write: DocumentWrite;
  bytes: number;
}

/** Vectors and text dominate a row's size. */
function sizeOf(write: DocumentWrite): number {
  let bytes = 0;
  for (const chunk of write.chunks) bytes += 200 + chunk.text.length * 2 + (chunk.vector ? chunk.vector.length * 4 : 0);
  return bytes;
}

export function createGroupWriter<T>(options: GroupWriterOptions<T>): GroupWriter<T> {
  const maxRows = options.maxRows ?? 4000;
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const lingerMs = options.lingerMs ?? 250;
  const waiting: Entry<T>[] = [];
  let pendingBytes = 0;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();

  /** The next group: documents in arrival order up to the bounds, at least one. */
  const takeGroup = (): Entry<T>[] => {
    let rows = 0;
    let bytes = 0;
    let n = 0;
    while (n < waiting.length) {
      const entry = waiting[n]!;
      if (n > 0 && (rows + entry.write.chunks.length > maxRows || bytes + entry.bytes > maxBytes)) break;
      rows += entry.write.chunks.length;
      bytes += entry.bytes;
      n++;
    }
    return waiting.splice(0, n);
  };

  async function commit(group: Entry<T>[]): Promise<void> {
    try {
      await options.collection.writeDocuments(group.map((e) => e.write));
      for (const e of group) options.onWritten(e.item, e.write);
    } catch (error) {
      if (group.length === 1) options.onFailed(group[0]!.item, error);
      else for (const e of group) await commit([e]);
    }
  }

  async function run(): Promise<void> {
    while (waiting.length > 0) {
      const group = takeGroup();
      await commit(group);
      for (const e of group) pendingBytes -= e.bytes;
      for (const listener of listeners) listener();
    }
  }

  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    running ??= run().finally(() => {
      running = undefined;
      // Added while the last group committed, after the loop's final check.
      if (waiting.length > 0) start();
    });
  };

  const waitingRows = () => waiting.reduce((n, e) => n + e.write.chunks.length, 0);

  return {
    add(item, write) {
      const bytes = sizeOf(write);
      waiting.push({ item, write, bytes });
      pendingBytes += bytes;
      if (running) return; // the running loop takes it next
      if (pendingBytes >= maxBytes || waitingRows() >= maxRows) start();
      else timer ??= setTimeout(start, lingerMs);
    },
    get pendingBytes() {
      return pendingBytes;
    },
    below(bytes) {
      if (pendingBytes < bytes) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => {
          if (pendingBytes >= bytes) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
    async drain() {
      if (waiting.length > 0) start();
      while (running) await running;
    },
  };
}
