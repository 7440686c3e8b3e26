/**
 * A process's role over the shared store. On object storage several processes write one
 * collection: each write and each upkeep pass holds the collection's write lease, so
 * commits from different hosts take turns instead of conflicting. With UPKEEP=off (API
 * replicas) collections have no `upkeep`, so nothing in this process ever calls it; with
 * it on, every pass is counted for /metrics.
 */
import { type Leases, withLease } from "../coordination/lease.js";
import type { Collection, MaintenanceReport, VectorStore } from "../store/vector-store.js";

export interface StoreRoles {
  upkeep: boolean;
  /** Set on object storage: writes take `write-<collection>` first. */
  leases?: Leases | undefined;
  /** How long a write waits for another process's write or upkeep (default: two lease lifetimes). */
  leaseWaitMs?: number;
  onUpkeep?: (collection: string, outcome: "ok" | "failed", report?: MaintenanceReport) => void;
}

export function applyStoreRoles(store: VectorStore, roles: StoreRoles): VectorStore {
  const { leases } = roles;
  const waitMs = roles.leaseWaitMs ?? (leases ? leases.ttlMs * 4 : 0);
  const guarded = <T>(name: string, work: () => Promise<T>): Promise<T> => (leases ? withLease(leases, `write-${name}`, { waitMs }, work) : work());

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
          (report) => (roles.onUpkeep?.(inner.name, "ok", report), report),
          (error: unknown) => {
            roles.onUpkeep?.(inner.name, "failed");
            throw error;
          },
        );
    }
    return collection;
  }

  return {
    capabilities: store.capabilities,
    openCollection: async (name, options) => wrap(await store.openCollection(name, options)),
    openExistingCollection: async (name) => wrap(await store.openExistingCollection(name)),
    listCollections: () => store.listCollections(),
    dropCollection: (name) => store.dropCollection(name),
    close: () => store.close(),
  };
}
