/**
 * A process's role over the shared store. On object storage several processes write one
 * collection: each write and each upkeep pass holds the collection's `write-<name>`
 * lease (waiting its turn), so commits from different hosts take turns instead of
 * conflicting. Creating a collection holds the same lease: Lance commits a second
 * creation of a table on top of the first, as an Overwrite that replaces what was written
 * in between (seen in the scale-out test, three processes starting at once: an upload's
 * merge failed against "concurrent transaction Overwrite at version 3"). With UPKEEP=off
 * (API replicas) collections have no `upkeep`, so nothing in this process ever calls it;
 * with it on, every pass is counted for /metrics.
 */
import { type HeldLease, LeaseBusyError, type LeaseStore, holdLease } from "../coordination/lease.js";
import type { Collection, MaintenanceReport, VectorStore } from "../store/vector-store.js";

export interface StoreRoles {
  upkeep: boolean;
  /** Set on object storage: writes take `write-<collection>` first. */
  leases?: { store: LeaseStore; ttlMs: number } | undefined;
  /** How long a write waits for another process's write or upkeep (default: four lease lifetimes). */
  leaseWaitMs?: number;
  onUpkeep?: (collection: string, outcome: "ok" | "failed", report?: MaintenanceReport) => void;
}

const POLL_MS = 100;

/** Holds `key` (renewed by heartbeat), waiting up to `waitMs` while another process has it. */
async function holdWaiting(store: LeaseStore, key: string, ttlMs: number, waitMs: number): Promise<HeldLease> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await holdLease(store, key, { ttlMs });
    } catch (error) {
      if (!(error instanceof LeaseBusyError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS + Math.random() * POLL_MS));
    }
  }
}

export function applyStoreRoles(store: VectorStore, roles: StoreRoles): VectorStore {
  const { leases } = roles;
  const waitMs = roles.leaseWaitMs ?? (leases ? leases.ttlMs * 4 : 0);
  async function guarded<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (!leases) return work();
    const held = await holdWaiting(leases.store, `write-${name}`, leases.ttlMs, waitMs);
    try {
      return await work();
    } finally {
      await held.release();
    }
  }

  function wrap(inner: Collection): Collection {
    const collection: Collection = {
      name: inner.name,
      embedModel: inner.embedModel,
      dims: inner.dims,
      writeDocuments: (documents) => guarded(inner.name, () => inner.writeDocuments(documents)),
      deleteDocument: (documentId) => guarded(inner.name, () => inner.deleteDocument(documentId)),
      listDocuments: () => inner.listDocuments(),
      getDocument: (documentId) => inner.getDocument(documentId),
      vectorSearch: (vector, options) => inner.vectorSearch(vector, options),
      keywordSearch: (text, options) => inner.keywordSearch(text, options),
      count: () => inner.count(),
    };
    const upkeep = inner.upkeep?.bind(inner);
    if (roles.upkeep && upkeep) {
      collection.upkeep = () =>
        guarded(inner.name, upkeep).then(
          (report) => {
            roles.onUpkeep?.(inner.name, "ok", report);
            return report;
          },
          (error: unknown) => {
            roles.onUpkeep?.(inner.name, "failed");
            throw error;
          },
        );
    }
    return collection;
  }

  /** Collections this process has opened: they exist, so opening them again creates nothing. */
  const opened = new Set<string>();
  return {
    capabilities: store.capabilities,
    async openCollection(name, options) {
      const open = () => store.openCollection(name, options);
      const collection = options.create === false || opened.has(name) ? await open() : await guarded(name, open);
      opened.add(name);
      return wrap(collection);
    },
    openExistingCollection: async (name) => wrap(await store.openExistingCollection(name)),
    listCollections: () => store.listCollections(),
    dropCollection: (name) => {
      opened.delete(name);
      return store.dropCollection(name);
    },
    close: () => store.close(),
  };
}
