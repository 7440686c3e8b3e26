import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, readdir, readlink, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { type AcquireOptions, type Lease, LeaseBusyError, type LeaseHolder, LeaseLostError, type LeaseStore } from "../coordination/lease.js";

/**
 * Leases as files in one directory, for processes on one host (or sharing a local disk).
 * Node has no `flock`, so:
 * - a lease file is created whole and atomically (written to a temporary name, then
 *   hard-linked into place, which fails if it exists): there is never a half-written lease;
 * - a holder is gone when its lease expired, or, on this machine, when its pid is dead, a
 *   zombie (state `Z` in /proc/<pid>/stat: it answers signal 0 until reaped, late in
 *   containers without an init), or reused by another process (a different start time);
 * - taking over a gone holder's lease is claimed first with an exclusive `takeover` file
 *   named after its token, so two processes cannot both take it over.
 * A pid means nothing on another host or in another pid namespace: there, only expiry counts.
 */
interface LeaseRecord extends LeaseHolder {
  pid: number;
  /** hostname, boot id and pid namespace: where `pid` means something. */
  machine: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), if known. */
  startTime: number | null;
}

/** A takeover claim or temporary file older than this was left by a process killed mid-write. */
const STALE_CLAIM_MS = 10_000;

async function readText(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").then(
    (t) => t.trim(),
    () => undefined,
  );
}

/** Where pids are comparable: same host name, same boot, same pid namespace. */
async function machineId(): Promise<string> {
  const boot = (await readText("/proc/sys/kernel/random/boot_id")) ?? "";
  const pidNamespace = await readlink("/proc/self/ns/pid").catch(() => "");
  return `${hostname()}/${boot}/${pidNamespace}`;
}

interface ProcessState {
  state: string;
  startTime: number;
}

/** State and start time of a process from /proc (Linux); undefined when it does not exist or /proc is absent. */
export async function processState(pid: number): Promise<ProcessState | undefined> {
  const stat = await readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last `)`.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTime: Number(fields[19]) };
}

/** Whether a process with this pid (and start time, when known) is running, not dead, zombie or reused. */
export async function processAlive(pid: number, startTime: number | null): Promise<boolean> {
  const proc = await processState(pid);
  if (proc) return proc.state !== "Z" && proc.state !== "X" && (startTime === null || proc.startTime === startTime);
  try {
    process.kill(pid, 0); // no /proc (macOS): signal 0 is all there is
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface FileLeaseStoreOptions {
  dir: string;
  now?: () => number;
}

export function createFileLeaseStore(options: FileLeaseStoreOptions): LeaseStore {
  const now = options.now ?? Date.now;
  const file = (key: string) => path.join(options.dir, `${encodeURIComponent(key)}.lease`);
  let self: Promise<{ machine: string; startTime: number | null }> | undefined;
  const whoAmI = () => (self ??= Promise.all([machineId(), processState(process.pid)]).then(([machine, proc]) => ({ machine, startTime: proc?.startTime ?? null })));

  const read = async (target: string): Promise<LeaseRecord | undefined> => {
    const text = await readText(target);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as LeaseRecord;
    } catch {
      return undefined; // never half-written (see above): unreadable means a foreign file
    }
  };

  /** Writes whole, then moves into place: a reader never sees a partial record. */
  const writeAtomically = async (target: string, record: LeaseRecord, exclusive: boolean) => {
    const temp = `${target}.${record.token}.${randomUUID().slice(0, 8)}.tmp`;
    await writeFile(temp, JSON.stringify(record));
    try {
      if (exclusive) await link(temp, target);
      else await rename(temp, target);
    } finally {
      if (exclusive) await rm(temp, { force: true });
    }
  };

  const gone = async (record: LeaseRecord, machine: string): Promise<boolean> => {
    if (record.expiresAt <= now()) return true;
    return record.machine === machine && !(await processAlive(record.pid, record.startTime));
  };

  /** Removes a gone holder's lease, if this process wins the claim to do so; false when another process is at it. */
  const takeOver = async (target: string, stale: LeaseRecord): Promise<boolean> => {
    const claim = `${target}.takeover-${stale.token}`;
    try {
      await writeFile(claim, String(process.pid), { flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(claim).then(
        (s) => now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_CLAIM_MS) await rm(claim, { force: true });
      return false;
    }
    try {
      // Still the same stale lease? (Another claimant may have finished, and a new holder moved in.)
      if ((await read(target))?.token === stale.token) await rm(target, { force: true });
    } finally {
      await rm(claim, { force: true });
    }
    return true;
  };

  /** Temporary files of writers killed between writing and moving them into place. */
  const removeLeftovers = async (target: string) => {
    const prefix = `${path.basename(target)}.`;
    for (const name of await readdir(options.dir).catch(() => [] as string[])) {
      if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
      const file = path.join(options.dir, name);
      const age = await stat(file).then(
        (s) => now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_CLAIM_MS) await rm(file, { force: true });
    }
  };

  return {
    async acquire(key, acquire: AcquireOptions) {
      await mkdir(options.dir, { recursive: true });
      const target = file(key);
      const me = await whoAmI();
      for (let attempt = 0; attempt < 100; attempt++) {
        const at = now();
        const record: LeaseRecord = {
          token: randomUUID(),
          owner: `pid ${process.pid} on ${hostname()}`,
          acquiredAt: at,
          expiresAt: at + acquire.ttlMs,
          pid: process.pid,
          machine: me.machine,
          startTime: me.startTime,
        };
        try {
          await writeAtomically(target, record, true);
          await removeLeftovers(target);
          return fileLease(key, target, record, acquire.ttlMs);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = await read(target);
        if (!holder) continue; // released between our attempt and our read
        if (!(await gone(holder, me.machine))) throw new LeaseBusyError(key, holder);
        if (!(await takeOver(target, holder))) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`Could not take the lease "${key}" in ${options.dir}: it keeps changing hands.`);
    },
  };

  function fileLease(key: string, target: string, record: LeaseRecord, ttlMs: number): Lease {
    let current = record;
    let released = false;
    return {
      key,
      get holder() {
        return current;
      },
      async renew() {
        if (released) throw new LeaseLostError(key);
        const onDisk = await read(target);
        if (onDisk?.token !== current.token) throw new LeaseLostError(key);
        const next = { ...current, expiresAt: now() + ttlMs };
        await writeAtomically(target, next, false);
        current = next;
      },
      async release() {
        if (released) return;
        released = true;
        if ((await read(target))?.token === current.token) await rm(target, { force: true });
      },
    };
  }
}
