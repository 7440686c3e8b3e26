/**
 * Lease records as S3 objects (conditional-lease-store.ts), for `s3://` on AWS S3 or a store that honours conditional writes:
 * created with `If-None-Match: *` (only one PUT of a missing key succeeds), renewed and
 * taken over with `If-Match: <ETag>` (only the holder of the current version succeeds).
 * Kept under `<prefix>/_askdocs/leases/`, beside the tables and outside them.
 */
import { s3Objects } from "../store/s3-objects.js";
import type { AwsSettings } from "../store/storage-location.js";
import type { ConditionalLeaseBackend, ConditionalLeaseRecord } from "./conditional-lease-store.js";

export function s3LeaseBackend(aws: AwsSettings, bucket: string, prefix: string): ConditionalLeaseBackend {
  const objects = s3Objects(aws, bucket, prefix);
  const leaseKey = (key: string) => `leases/${key}.json`;

  async function put(key: string, record: ConditionalLeaseRecord, condition: Record<string, string>): Promise<string | undefined> {
    const response = await objects.fetch(leaseKey(key), { method: "PUT", headers: { "content-type": "application/json", ...condition }, body: JSON.stringify(record) });
    await response.body?.cancel();
    if (response.status === 412 || response.status === 409) return undefined;
    if (!response.ok) throw new Error(`S3 PUT of lease ${key} in bucket ${bucket} failed: HTTP ${response.status}`);
    const etag = response.headers.get("etag");
    if (!etag) throw new Error(`S3 PUT of lease ${key} returned no ETag: the store cannot be used for leases`);
    return etag;
  }

  async function read(key: string): Promise<{ record: ConditionalLeaseRecord; version: string } | undefined> {
    const response = await objects.fetch(leaseKey(key));
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw new Error(`S3 GET of lease ${key} in bucket ${bucket} failed: HTTP ${response.status}`);
    return { record: (await response.json()) as ConditionalLeaseRecord, version: response.headers.get("etag") ?? "" };
  }

  return {
    async create(key, record) {
      const version = await put(key, record, { "if-none-match": "*" });
      if (version !== undefined) return { created: true, version };
      const current = await read(key);
      return { created: false, ...(current ? { current } : {}) };
    },
    replace: (key, record, version) => put(key, record, { "if-match": version }),
    async remove(key, version) {
      // Conditional DELETE where the store supports it; the read first keeps a store that ignores it from deleting a successor's lease.
      const current = await read(key);
      if (current?.version !== version) return;
      const response = await objects.fetch(leaseKey(key), { method: "DELETE", headers: { "if-match": version } });
      await response.body?.cancel();
    },
  };
}
