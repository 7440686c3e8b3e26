import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CollectionBusyError, lockCollection } from "../ingest/lock.js";
import { createFileLeaseStore, processState } from "../src/node/file-lease-store.js";
import { LeaseBusyError, holdLease } from "../src/coordination/lease.js";
import { openLanceStore } from "../src/store/lance-store.js";
import { prng } from "./bench/vectors.js";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { ingestEnv, runIngest, startIngest } from "./helpers/ingest-cli.js";
import { tempDir, writeNotes } from "./helpers/ingest-data.js";
import { REPO_ROOT } from "./helpers/server.js";

/**
 * The ingest lock is a lease (src/coordination/lease.ts, local-file store) that no crash
 * can wedge: a dead, zombie or reused pid, or an expired holder, is taken over at once; a
 * live one is refused; a heartbeat keeps a long run's lease. End to end, the real ingest
 * command's whole process group is SIGKILLed again and again, and each resume (started at
 * once, or after a short delay) takes the collection over and the last one completes it.
 */
let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await tempDir("lease");
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        killGroup(child.pid);
      } catch {
        // already gone
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** SIGKILL to every process in the group `pid` leads; throws if there is no such group (a test that kills nothing proves nothing). */
function killGroup(pid: number) {
  process.kill(-pid, "SIGKILL");
}

/** Starts a process holding the lease (see helpers/lease-holder.ts); `shell` wraps it in a parent that never reaps it. */
async function startHolder(key: string, options: { zombieParent?: boolean; ttlMs?: number } = {}): Promise<{ child: ChildProcess; pid: number }> {
  const holder = ["--import", "tsx", "test/helpers/lease-holder.ts", dir, key, String(options.ttlMs ?? 30_000)];
  // `exec sleep` replaces the shell with a process that never calls wait(): the holder, once killed, stays a zombie.
  const child = options.zombieParent
    ? spawn("sh", ["-c", `"${process.execPath}" ${holder.map((a) => `'${a}'`).join(" ")} & exec sleep 60`], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "inherit"] })
    : spawn(process.execPath, holder, { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  const pid = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const match = /held (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`lease holder exited (${code}) before holding the lease`)));
  });
  return { child, pid };
}

async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("file lease store", () => {
  it("refuses while a live holder has the lease, names it, and is free after release", async () => {
    const store = createFileLeaseStore({ dir });
    const lease = await store.acquire("docs", { ttlMs: 30_000 });
    const busy = await store.acquire("docs", { ttlMs: 30_000 }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(LeaseBusyError);
    expect((busy as Error).message).toContain(`pid ${process.pid} on`);
    await lease.release();
    await (await store.acquire("docs", { ttlMs: 30_000 })).release();
  });

  it("takes over at once the lease of a holder killed with SIGKILL", async () => {
    const { child, pid } = await startHolder("docs");
    await expect(createFileLeaseStore({ dir }).acquire("docs", { ttlMs: 30_000 })).rejects.toThrow(LeaseBusyError);
    killGroup(pid);
    await new Promise((resolve) => child.once("exit", resolve));
    const lease = await createFileLeaseStore({ dir }).acquire("docs", { ttlMs: 30_000 });
    expect(lease.holder.owner).toContain(`pid ${process.pid}`);
  }, 120_000);

  it("takes over the lease of a zombie holder (killed, never reaped), told apart by /proc/<pid>/stat", async () => {
    const { pid } = await startHolder("docs", { zombieParent: true });
    process.kill(pid, "SIGKILL"); // the holder only: its parent (sleep) lives on and never reaps it
    await waitUntil(async () => (await processState(pid))?.state === "Z", `pid ${pid} to be a zombie`);
    // A zombie still answers signal 0, which is what the old pid lock trusted.
    expect(() => process.kill(pid, 0)).not.toThrow();
    const lease = await createFileLeaseStore({ dir }).acquire("docs", { ttlMs: 30_000 });
    expect(lease.holder.owner).toContain(`pid ${process.pid}`);
  }, 120_000);

  it("takes over a lease whose pid now belongs to another process (a different start time)", async () => {
    const store = createFileLeaseStore({ dir });
    await store.acquire("docs", { ttlMs: 30_000 });
    const file = path.join(dir, "docs.lease");
    const record = JSON.parse(await readFile(file, "utf8"));
    // Same pid as a live process (this one), but not the process that took the lease.
    await writeFile(file, JSON.stringify({ ...record, token: "reused-pid", startTime: record.startTime - 1 }));
    const lease = await store.acquire("docs", { ttlMs: 30_000 });
    expect(lease.holder.token).not.toBe("reused-pid");
  });

  it("trusts only expiry for a holder on another machine", async () => {
    let now = Date.now();
    const store = createFileLeaseStore({ dir, now: () => now });
    await store.acquire("docs", { ttlMs: 30_000 });
    const file = path.join(dir, "docs.lease");
    const record = JSON.parse(await readFile(file, "utf8"));
    // A pid that is dead here means nothing for a process on another host.
    await writeFile(file, JSON.stringify({ ...record, token: "remote", machine: "other-host/boot/ns", pid: 999_999 }));
    await expect(store.acquire("docs", { ttlMs: 30_000 })).rejects.toThrow(LeaseBusyError);
    now += 30_001;
    const lease = await store.acquire("docs", { ttlMs: 30_000 });
    expect(lease.holder.token).not.toBe("remote");
  });

  it("lets exactly one of many racing processes take over a stale lease", async () => {
    let now = Date.now();
    const store = createFileLeaseStore({ dir, now: () => now });
    await store.acquire("docs", { ttlMs: 1000 });
    now += 5000; // expired
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => createFileLeaseStore({ dir, now: () => now }).acquire("docs", { ttlMs: 30_000 })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof LeaseBusyError)).toBe(true);
  });

  it("a heartbeat keeps renewing the lease; a lease taken over signals `lost`", async () => {
    const file = path.join(dir, "docs.lease");
    const held = await holdLease(createFileLeaseStore({ dir }), "docs", { ttlMs: 5000, heartbeatMs: 50 });
    const first = JSON.parse(await readFile(file, "utf8")).expiresAt as number;
    // Renewed (twice, so the heartbeat keeps going): another machine would see it live.
    let renewals = 0;
    let last = first;
    await waitUntil(
      async () => {
        const now = JSON.parse(await readFile(file, "utf8")).expiresAt as number;
        if (now > last) renewals++;
        last = now;
        return renewals >= 2;
      },
      "two renewals",
      30_000,
    );
    // Someone took it over (say this process stalled past the TTL). A renewal already past its
    // token check may write over the thief's record once: the thief writes again, as a new
    // holder's own renewal would.
    const steal = async () => {
      const current = JSON.parse(await readFile(file, "utf8"));
      if (current.token === "thief") return;
      await writeFile(`${file}.thief`, JSON.stringify({ ...current, token: "thief" }));
      await rename(`${file}.thief`, file);
    };
    await waitUntil(
      async () => {
        await steal();
        return held.lost.aborted;
      },
      "the lease to be reported lost",
      30_000,
    );
    await held.release();
    // Release never removes another's lease.
    expect(JSON.parse(await readFile(file, "utf8")).token).toBe("thief");
  }, 90_000);

  it("removes the temporary files of writers killed mid-write, once they are old", async () => {
    await mkdir(dir, { recursive: true });
    const old = path.join(dir, "docs.lease.dead-token.1234abcd.tmp");
    const fresh = path.join(dir, "docs.lease.live-token.5678abcd.tmp");
    await writeFile(old, "{}");
    await writeFile(fresh, "{}");
    const past = new Date(Date.now() - 60_000);
    await utimes(old, past, past);
    await (await createFileLeaseStore({ dir }).acquire("docs", { ttlMs: 30_000 })).release();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it("lockCollection reports a busy collection with the holder", async () => {
    const held = await lockCollection(dir, "default");
    const busy = await lockCollection(dir, "default").catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(CollectionBusyError);
    expect((busy as Error).message).toMatch(/being ingested by another process: "default" is held by pid \d+ on /);
    await held.release();
    await (await lockCollection(dir, "default")).release();
  });
});

describe("ingest: SIGKILL of the whole process group, then resume", () => {
  let fake: FakeProvider;
  let root: string;
  let docs: string;
  let cleanRows: number;
  const ITERATIONS = Number(process.env.LEASE_KILL_ITERATIONS ?? 6);

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 60 });
    root = await tempDir("lease-kill");
    docs = path.join(root, "docs");
    await writeNotes(docs, 120);
    const clean = await runIngest([docs], ingestEnv(fake, path.join(root, "clean"), { EMBED_BATCH_SIZE: "4" }));
    expect(clean.code, clean.stderr).toBe(0);
    cleanRows = await countRows(path.join(root, "clean"));
    expect(cleanRows).toBeGreaterThan(40);
  }, 120_000);

  afterAll(async () => {
    await fake?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function countRows(uri: string): Promise<number> {
    const store = await openLanceStore({ uri });
    try {
      return await (await store.openExistingCollection("default")).count();
    } finally {
      await store.close();
    }
  }

  /** The pid in the collection's lease file, if any. */
  const leaseHolderPid = async (uri: string) =>
    readFile(path.join(uri, ".askdocs-locks", "default.lease"), "utf8").then(
      (t) => (JSON.parse(t) as { pid: number }).pid,
      () => undefined,
    );

  it.each([
    ["at once", 0],
    ["after a short delay", 150],
  ] as const)(
    `each resume started %s takes the lease of the killed run; the last completes the collection (${ITERATIONS} kills)`,
    async (_, delayMs) => {
      const uri = path.join(root, `killed-${delayMs}`);
      const env = ingestEnv(fake, uri, { EMBED_BATCH_SIZE: "4" });
      const random = prng(7 + delayMs);
      for (let i = 0; i < ITERATIONS; i++) {
        const run = startIngest([docs], env, 90_000, { detached: true });
        children.push(run.child);
        // It holds the lease (so a busy refusal would have shown), and has done some work.
        await waitUntil(async () => (await leaseHolderPid(uri)) === run.child.pid || run.child.exitCode !== null, `run ${i} to take the lease`, 30_000);
        if (run.child.exitCode !== null) {
          const early = await run.done;
          throw new Error(`run ${i} exited (${early.code}) before taking the lease:\n${early.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50 + random() * 400));
        killGroup(run.child.pid!);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // The next iteration (or the final run) starts now, while the killed one may not even be reaped yet.
      }
      const last = await runIngest([docs], env);
      expect(last.stderr).not.toMatch(/being ingested by another process/);
      expect(last.code, last.stderr).toBe(0);
      expect(await countRows(uri)).toBe(cleanRows);
      expect(await leaseHolderPid(uri)).toBeUndefined(); // released at the end
    },
    300_000,
  );
});
