/**
 * A local stand-in for AWS, started from a test or benchmark on 127.0.0.1: `s3rver` (the
 * S3 API over a temp folder) and `dynalite` (the DynamoDB API in memory), with one bucket
 * and the DynamoDB table LanceDB's `s3+ddb://` commit store expects (hash key `base_uri`,
 * range key `version`). s3rver ignores conditional PUT, which is why plain `s3://` is only
 * used here where a single writer is guaranteed.
 */
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

export async function startLocalObjectStore(bucket = "askdocs", table = "askdocs-commits"): Promise<LocalObjectStore> {
  const directory = await mkdtemp(path.join(tmpdir(), "askdocs-s3rver-"));
  const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: bucket }] });
  fixDelimiterListing(s3);
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
      await new Promise((resolve) => ddb.close(resolve));
      await s3.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
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
  const store = (s3 as unknown as { store: { listObjects(bucket: string, options: ListOptions): Promise<ListResult> } }).store;
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
