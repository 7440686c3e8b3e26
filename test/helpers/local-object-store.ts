/**
 * A local stand-in for AWS, started from a test or benchmark on 127.0.0.1: `s3rver` (the
 * S3 API over a temp folder) and `dynalite` (the DynamoDB API in memory), with one bucket
 * and the DynamoDB table LanceDB's `s3+ddb://` commit store expects (hash key `base_uri`,
 * range key `version`). s3rver ignores conditional PUT, which is why plain `s3://` is only
 * used here where a single writer is guaranteed. Two s3rver 3.7.1 bugs that real S3 does
 * not have are mended on the instance (see the functions at the end): delimiter listings,
 * and writes that a concurrent read can see half done. With `conditionalWrites` it also
 * enforces conditional PUTs, which s3rver ignores.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { AwsClient } from "aws4fetch";
import dynalite from "dynalite";
import S3rver from "s3rver";

export interface LocalObjectStore {
  s3Endpoint: string;
  dynamoEndpoint: string;
  bucket: string;
  table: string;
  /** The AWS_* variables a process needs to reach both. */
  env: Record<string, string>;
  /** An `s3+ddb://` URI under a fresh prefix. */
  uri(prefix: string): string;
  close(): Promise<void>;
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };

export interface LocalObjectStoreOptions {
  /**
   * Make s3rver honour `If-None-Match: *` and `If-Match` on PUT, as AWS S3 does (412 when
   * the condition fails): a stand-in for an S3-compatible store with conditional writes.
   */
  conditionalWrites?: boolean;
}

export async function startLocalObjectStore(options: LocalObjectStoreOptions = {}, bucket = "askdocs", table = "askdocs-commits"): Promise<LocalObjectStore> {
  const directory = await mkdtemp(path.join(tmpdir(), "askdocs-s3rver-"));
  const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: bucket }] });
  fixDelimiterListing(s3);
  makeWritesAtomic(s3);
  if (options.conditionalWrites) honourConditionalWrites(s3);
  const s3Address = (await s3.run()) as AddressInfo;
  const ddb: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => ddb.listen(0, "127.0.0.1", resolve));
  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${(ddb.address() as AddressInfo).port}`;

  const client = new AwsClient({ accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY, region: CREDENTIALS.AWS_REGION, service: "dynamodb" });
  const created = await client.fetch(dynamoEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.CreateTable" },
    body: JSON.stringify({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "base_uri", AttributeType: "S" },
        { AttributeName: "version", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "base_uri", KeyType: "HASH" },
        { AttributeName: "version", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  });
  if (!created.ok) throw new Error(`dynalite CreateTable: ${created.status} ${await created.text()}`);

  return {
    s3Endpoint,
    dynamoEndpoint,
    bucket,
    table,
    env: { ...CREDENTIALS, AWS_ENDPOINT_URL: s3Endpoint, AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint },
    uri: (prefix) => `s3+ddb://${bucket}/${prefix}?ddbTableName=${table}`,
    async close() {
      // LanceDB's clients keep connections alive: drop them, or close() waits for their idle timeout.
      ddb.closeAllConnections();
      await new Promise((resolve) => ddb.close(resolve));
      (s3 as unknown as { httpServer?: Server }).httpServer?.closeAllConnections();
      await s3.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

interface FilesystemStore {
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, metadata?: unknown): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<unknown>;
  getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
  getMetadata(bucket: string, key: string): Promise<unknown>;
  existsObject(bucket: string, key: string): Promise<unknown>;
}

const storeOf = (s3: S3rver) => (s3 as unknown as { store: FilesystemStore }).store;

/**
 * s3rver writes an object's bytes, then its metadata file, as separate steps (a copy too),
 * and answers a GET in between with 404 (or a short body). S3 makes a PUT or a copy
 * visible whole; LanceDB's commit protocol copies manifests into place and relies on that.
 * Reads of a key wait here for a write of that key in flight. (Reads made by the write
 * itself, such as the copy reading its own metadata back, do not wait.)
 */
function makeWritesAtomic(s3: S3rver): void {
  const store = storeOf(s3);
  const inWrite = new AsyncLocalStorage<boolean>();
  const pending = new Map<string, Promise<unknown>>();
  const write = <T>(id: string, run: () => Promise<T>): Promise<T> => {
    const before = pending.get(id) ?? Promise.resolve();
    const done = before.catch(() => undefined).then(() => inWrite.run(true, run));
    const settled = done.catch(() => undefined);
    pending.set(id, settled);
    void settled.then(() => pending.get(id) === settled && pending.delete(id));
    return done;
  };
  const read = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
    if (!inWrite.getStore()) await pending.get(id);
    return run();
  };
  const { putObject, copyObject, deleteObject, getObject, getMetadata, existsObject } = store;
  store.putObject = (object) => write(`${object.bucket}/${object.key}`, () => putObject.call(store, object));
  store.copyObject = (sb, sk, db, dk, m) => write(`${db}/${dk}`, () => copyObject.call(store, sb, sk, db, dk, m));
  store.deleteObject = (b, k) => write(`${b}/${k}`, () => deleteObject.call(store, b, k));
  store.getObject = (b, k, o) => read(`${b}/${k}`, () => getObject.call(store, b, k, o));
  store.getMetadata = (b, k) => read(`${b}/${k}`, () => getMetadata.call(store, b, k));
  store.existsObject = (b, k) => read(`${b}/${k}`, () => existsObject.call(store, b, k));
}

interface KoaContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
  get(header: string): string;
  set(header: string, value: string): void;
}

/**
 * `If-None-Match: *` (create only if absent) and `If-Match: "<etag>"` (replace only that
 * version) on PUT, checked and written under one per-key lock, so of two racing PUTs at
 * most one passes: what AWS S3 guarantees. Put in front of s3rver's own middleware.
 */
function honourConditionalWrites(s3: S3rver): void {
  const store = storeOf(s3);
  const locks = new Map<string, Promise<unknown>>();
  const middleware = async (ctx: KoaContext, next: () => Promise<void>) => {
    const noneMatch = ctx.get("if-none-match");
    const match = ctx.get("if-match");
    if (ctx.method !== "PUT" || (!noneMatch && !match)) return next();
    const [, bucket = "", ...rest] = ctx.path.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const id = `${bucket}/${key}`;
    const run = (locks.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const current = (await store.getMetadata(bucket, key).catch(() => undefined)) as { etag?: string } | undefined | null;
        const etag = current?.etag;
        const failed = (noneMatch === "*" && etag !== undefined) || (match !== "" && match !== etag);
        if (failed) {
          ctx.status = 412;
          ctx.set("content-type", "application/xml");
          ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
          return;
        }
        await next();
      });
    locks.set(id, run);
    await run;
  };
  (s3 as unknown as { middleware: unknown[] }).middleware.unshift(middleware);
}

interface ListedObject {
  key: string;
}
interface ListOptions {
  delimiter?: string;
  prefix?: string;
  maxKeys?: number;
  startAfter?: string;
}
interface ListResult {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

/**
 * s3rver 3.7.1 lists nothing for `prefix=db/&delimiter=/` when the keys sit in nested
 * folders (its folder walk skips every folder below the prefix), so LanceDB's
 * `tableNames()` would always be empty. Real S3 returns the common prefixes: list without
 * the delimiter and group the keys here, as S3 does.
 */
function fixDelimiterListing(s3: S3rver): void {
  const store = storeOf(s3);
  const original = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const { delimiter, prefix = "", maxKeys = Number.POSITIVE_INFINITY } = options;
    if (!delimiter) return original(bucket, options);
    const all = await original(bucket, { ...options, delimiter: "", maxKeys: Number.POSITIVE_INFINITY });
    const objects: ListedObject[] = [];
    const commonPrefixes = new Set<string>();
    for (const object of all.objects) {
      const at = object.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) objects.push(object);
      else commonPrefixes.add(object.key.slice(0, prefix.length + at + delimiter.length));
    }
    return { objects: objects.slice(0, maxKeys), commonPrefixes: [...commonPrefixes].sort(), isTruncated: objects.length > maxKeys };
  };
}
