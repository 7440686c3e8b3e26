import { mkdir, open, readFile, rm } from "node:fs/promises";
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

export async function lockCollection(dbDir: string, collection: string): Promise<() => Promise<void>> {
  const dir = path.join(dbDir, ".askdocs-locks");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${collection}.lock`);
  const mine: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(JSON.stringify(mine));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readFile(file, "utf8").then((t) => JSON.parse(t) as LockInfo, () => undefined);
    if (holder && holder.host === mine.host && !alive(holder.pid)) {
      await rm(file, { force: true }); // stale: its process is gone
      continue;
    }
    if (!holder) {
      await rm(file, { force: true }); // half-written by a process killed mid-write
      continue;
    }
    throw new CollectionBusyError(
      `Collection "${collection}" is being ingested by another process (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). Wait for it to finish, then run this again; if that process is gone, delete ${file}.`,
    );
  }
  throw new CollectionBusyError(`Could not take the ingest lock ${file}.`);
}
