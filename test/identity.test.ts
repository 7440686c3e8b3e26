import { describe, expect, it } from "vitest";
import { contentHash, documentId, webSha256 } from "../ingest/identity.js";
import { nodeSha256 } from "../ingest/node/sha256.js";

/**
 * Node hashes with node:crypto, the Worker with Web Crypto: the ids and content hashes
 * must agree, since `askdocs ingest --server` compares its own hashes with a server's.
 */
describe("document identity", () => {
  it("node:crypto and Web Crypto give the same ids and content hashes", async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) % 251);
    for (const source of ["notes/潮汐.md", "a//b/./c.txt", "C:\\docs\\x.pdf"]) expect(await documentId("default", source, nodeSha256)).toBe(await documentId("default", source, webSha256));
    for (const size of [0, 1, 64, 70_000]) expect(await contentHash(bytes.subarray(0, size), "settings-v1", nodeSha256)).toBe(await contentHash(bytes.subarray(0, size), "settings-v1"));
    // The settings are part of the hash, and a known vector pins the construction down.
    expect(await contentHash(bytes, "settings-v2", nodeSha256)).not.toBe(await contentHash(bytes, "settings-v1", nodeSha256));
    expect(await webSha256(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(nodeSha256(new TextEncoder().encode("a"), new TextEncoder().encode("bc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
