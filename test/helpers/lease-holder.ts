import { createFileLeaseStore } from "../../src/node/file-lease-store.js";

/**
 * A process that takes a lease and holds it (renewing) until killed, for the lease tests:
 * `node --import tsx test/helpers/lease-holder.ts <dir> <key> <ttlMs>`. Prints `held <pid>`
 * once it holds the lease.
 */
const [dir, key, ttl] = process.argv.slice(2);
const lease = await createFileLeaseStore({ dir: dir! }).acquire(key!, { ttlMs: Number(ttl ?? 30_000) });
process.stdout.write(`held ${process.pid}\n`);
setInterval(() => void lease.renew().catch(() => {}), 100);
