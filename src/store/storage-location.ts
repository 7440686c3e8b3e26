/**
 * Where LanceDB lives, from LANCEDB_URI and the standard AWS variables: a local folder
 * (the default), `s3://bucket/prefix` (S3 or a store that honours conditional PUT) or
 * `s3+ddb://bucket/prefix?ddbTableName=…` (DynamoDB as the commit store, for S3-compatible
 * stores without conditional PUT). The only place that tells a URI from a path, so that
 * nothing else treats `s3+ddb://…` as a folder name. Pure: no Node-only imports.
 */

export type StorageLocation = { kind: "local"; path: string } | { kind: "s3" | "s3+ddb"; uri: string; bucket: string; prefix: string; ddbTable?: string };

/** The AWS settings askdocs reads (config.ts validates them). */
export interface AwsSettings {
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
  AWS_SESSION_TOKEN?: string | undefined;
  AWS_REGION?: string | undefined;
  AWS_ENDPOINT_URL?: string | undefined;
  AWS_ENDPOINT_URL_DYNAMODB?: string | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Parses LANCEDB_URI; throws an Error whose message says what to write instead. */
export function parseStorageLocation(raw: string): StorageLocation {
  const scheme = SCHEME.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "local", path: raw };
  if (scheme !== "s3" && scheme !== "s3+ddb") {
    throw new Error(`Expected a folder, \`s3://bucket/prefix\` or \`s3+ddb://bucket/prefix?ddbTableName=table\`; askdocs does not support \`${scheme}://\``);
  }
  let url: URL;
  try {
    url = new URL(raw.replace(SCHEME, "http://"));
  } catch {
    throw new Error(`Expected \`${scheme}://bucket/prefix\`, got a URI that does not parse`);
  }
  const bucket = url.hostname;
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  if (!bucket) throw new Error(`Expected a bucket name after \`${scheme}://\``);
  if (scheme === "s3") {
    if (url.search) throw new Error("Expected no query string on an `s3://` URI (only `s3+ddb://` takes `?ddbTableName=`)");
    return { kind: "s3", uri: raw, bucket, prefix };
  }
  const ddbTable = url.searchParams.get("ddbTableName");
  if (!ddbTable) throw new Error("Expected `?ddbTableName=<DynamoDB table>` on an `s3+ddb://` URI: the table LanceDB commits through");
  return { kind: "s3+ddb", uri: raw, bucket, prefix, ddbTable };
}

/** True when S3 requests go to AWS itself (no endpoint, or an amazonaws.com one). */
export function isAwsEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return true;
  return /(^|\.)amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);
}

/**
 * LanceDB's storage options (names as LanceDB 0.37 reads them) from the AWS variables.
 * These carry secrets: never log the result.
 */
export function lanceStorageOptions(aws: AwsSettings): Record<string, string> {
  const options: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value) options[name] = value;
  };
  set("aws_access_key_id", aws.AWS_ACCESS_KEY_ID);
  set("aws_secret_access_key", aws.AWS_SECRET_ACCESS_KEY);
  set("aws_session_token", aws.AWS_SESSION_TOKEN);
  set("aws_region", aws.AWS_REGION);
  set("aws_endpoint", aws.AWS_ENDPOINT_URL);
  set("dynamodb_endpoint", aws.AWS_ENDPOINT_URL_DYNAMODB);
  // object_store refuses plain-HTTP endpoints unless told: emulators and in-cluster stores use them.
  if ([aws.AWS_ENDPOINT_URL, aws.AWS_ENDPOINT_URL_DYNAMODB].some((u) => u?.startsWith("http://"))) options.allow_http = "true";
  return options;
}

/** LanceDB's read-consistency interval: as configured, else 0 on a folder (every read is fresh) and 5 s on object storage (a HEAD per table per interval). */
export function readConsistencyMs(location: StorageLocation, configured: number | undefined): number {
  return configured ?? (location.kind === "local" ? 0 : 5000);
}
