import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

/**
 * One ingest per collection at a time. The lock is a file created exclusively next to
 * the database; a lock left by a killed process (kill -9) is recognised by its dead pid
 * and taken over, so a crashed run never blocks the next one.
 */
export class CollectionBusyError extends Error {}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How long an empty lock file is presumed to be mid-write by a live process. */
const HALF_WRITTEN_GRACE_MS = 2000;

export async function lockCollection(dbDir: string, collection: string): Promise<() => Promise<void>> {
  const dir = path.join(dbDir, ".askdocs-locks");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${collection}.lock`);
  const mine: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let waits = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(JSON.stringify(mine));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // `.catch`, not a second `then` argument: that would not catch JSON.parse throwing on an empty file.
    const holder = await readFile(file, "utf8")
      .then((t) => JSON.parse(t) as LockInfo)
      .catch(() => undefined);
    if (holder && holder.host === mine.host && !alive(holder.pid)) {
      await rm(file, { force: true }); // stale: its process is gone
      continue;
    }
    if (!holder) {
      // Empty or unreadable: either its writer is between `open` and `writeFile` right now
      // (a run started at the same moment; taking over would let both run), or it was
      // killed there. Only an old one is abandoned.
      const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
      if (age < HALF_WRITTEN_GRACE_MS && waits++ < HALF_WRITTEN_GRACE_MS / 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        attempt--;
        continue;
      }
      await rm(file, { force: true }); // half-written by a process killed mid-write
      continue;
    }
    throw new CollectionBusyError(
      `Collection "${collection}" is being ingested by another process (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). Wait for it to finish, then run this again; if that process is gone, delete ${file}.`,
    );
  }
  throw new CollectionBusyError(`Could not take the ingest lock ${file}.`);
}
