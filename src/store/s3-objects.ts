/**
 * A minimal S3 client for askdocs's own small objects under the LanceDB prefix (leases,
 * documents' originals): SigV4-signed fetches (aws4fetch, web-standard, no SDK), path-style
 * on a custom endpoint (what S3-compatible stores accept), virtual-hosted on AWS.
 */
import { AwsClient } from "aws4fetch";
import type { AwsSettings } from "./storage-location.js";

export interface S3Objects {
  /** Fetches `<prefix>/_askdocs/<key>` (key segments are URL-encoded, `/` kept). */
  fetch(key: string, init?: RequestInit): Promise<Response>;
}

/** A SigV4 signer for one AWS service, from the deployment's settings (region default us-east-1). */
export function awsClient(aws: AwsSettings, service: "s3" | "dynamodb"): { region: string; client: AwsClient } {
  const region = aws.AWS_REGION ?? "us-east-1";
  return { region, client: new AwsClient({ accessKeyId: aws.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: aws.AWS_SECRET_ACCESS_KEY ?? "", sessionToken: aws.AWS_SESSION_TOKEN, region, service }) };
}

export function s3Objects(aws: AwsSettings, bucket: string, prefix: string): S3Objects {
  const { region, client } = awsClient(aws, "s3");
  const base = aws.AWS_ENDPOINT_URL ? `${aws.AWS_ENDPOINT_URL.replace(/\/+$/, "")}/${bucket}` : `https://${bucket}.s3.${region}.amazonaws.com`;
  const url = (key: string) => `${base}/${[...prefix.split("/"), "_askdocs", ...key.split("/")].filter(Boolean).map(encodeURIComponent).join("/")}`;
  return { fetch: (key, init) => client.fetch(url(key), init) };
}
