/** The store contract suite (store-contract.ts) against LanceDB on disk and the in-memory store. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openLanceStore } from "../src/store/lance-store.js";
import { createMemoryStore } from "../src/store/memory-store.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("LanceDB", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "askdocs-contract-"));
  return { store: await openLanceStore({ uri: path.join(dir, "db") }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeStoreContract("in-memory", async () => ({ store: createMemoryStore() }));
