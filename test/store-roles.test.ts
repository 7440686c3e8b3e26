/**
 * The write lease of store-roles.ts also covers creating a collection: a process that
 * may create one waits while another process holds the collection's `write-<name>`
 * lease, so two processes never both create the same table (Lance would commit the
 * second creation over the first). Real file leases in a temp folder, the in-memory store.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileLeaseStore } from "../src/node/file-lease-store.js";
import { applyStoreRoles } from "../src/runtime/store-roles.js";
import { createMemoryStore } from "../src/store/memory-store.js";

const TAG = { embedModel: "nvidia/nv-embedqa-e5-v5", dims: 4 };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "askdocs-roles-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Settles within `ms`, or reports that it is still waiting. */
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise.then(() => "settled"), new Promise((resolve) => setTimeout(() => resolve("waiting"), ms))]);

describe("store roles: creating a collection", () => {
  it("waits for another process's write lease before it may create the collection, and not once it exists", async () => {
    const leases = createFileLeaseStore({ dir });
    const store = applyStoreRoles(createMemoryStore(), { upkeep: false, leases: { store: leases, ttlMs: 30_000 }, leaseWaitMs: 30_000 });
    // Another writer (a second token on the same store stands for another process).
    const other = await leases.acquire("write-docs", { ttlMs: 30_000 });

    const creating = store.openCollection("docs", { ...TAG });
    expect(await within(creating, 400)).toBe("waiting");
    // Opening without creating never waits: a search must not queue behind an ingest.
    expect(
      await within(
        store.openCollection("elsewhere", { ...TAG, create: false }).catch(() => undefined),
        400,
      ),
    ).toBe("settled");

    await other.release();
    const collection = await creating;
    expect(collection.name).toBe("docs");

    // Known to exist now: opening it again takes no lease even while another process writes.
    const again = await leases.acquire("write-docs", { ttlMs: 30_000 });
    try {
      expect(await within(store.openCollection("docs", { ...TAG }), 400)).toBe("settled");
    } finally {
      await again.release();
    }
  });
});
