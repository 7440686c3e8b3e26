/** LANCEDB_URI on object storage: parsing, LanceDB storage options from the AWS variables, the conditional-PUT rule, secrets never echoed. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { problems } from "./helpers/config-problems.js";
import { lanceStorageOptions, parseStorageLocation, readConsistencyMs } from "../src/store/storage-location.js";

const SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
/** Object storage always needs credentials. */
const KEYS = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: SECRET };
const TOKEN = "FwoGZXIvYXdzEBYaDSESSIONTOKENEXAMPLE";

describe("object storage configuration", () => {
  it("tells a folder from an s3:// or s3+ddb:// URI, and never takes a URI for a folder", () => {
    expect(parseStorageLocation("data/lancedb")).toEqual({ kind: "local", path: "data/lancedb" });
    expect(parseStorageLocation("C:\\askdocs\\db")).toEqual({ kind: "local", path: "C:\\askdocs\\db" });
    expect(parseStorageLocation("s3://docs-bucket/askdocs/prod")).toEqual({ kind: "s3", uri: "s3://docs-bucket/askdocs/prod", bucket: "docs-bucket", prefix: "askdocs/prod" });
    expect(parseStorageLocation("s3+ddb://docs-bucket/db?ddbTableName=commits")).toMatchObject({ kind: "s3+ddb", bucket: "docs-bucket", prefix: "db", ddbTable: "commits" });
    expect(() => parseStorageLocation("s3+ddb://docs-bucket/db")).toThrow(/ddbTableName/);
    expect(() => parseStorageLocation("gs://bucket/db")).toThrow(/does not support `gs:\/\/`/);
    expect(problems({ LANCEDB_URI: "az://container/db" })[0]).toMatch(/^LANCEDB_URI: .*s3\+ddb:\/\//);
  });

  it("maps the standard AWS variables to LanceDB's storage option names", () => {
    const config = loadConfig({
      LANCEDB_URI: "s3+ddb://bucket/db?ddbTableName=commits",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_SESSION_TOKEN: TOKEN,
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9000",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000",
    });
    expect(lanceStorageOptions(config)).toEqual({
      aws_access_key_id: "AKIAEXAMPLE",
      aws_secret_access_key: SECRET,
      aws_session_token: TOKEN,
      aws_region: "eu-west-1",
      aws_endpoint: "http://127.0.0.1:9000",
      dynamodb_endpoint: "http://127.0.0.1:8000",
      allow_http: "true",
    });
    // AWS itself over https: no endpoint, no allow_http.
    expect(lanceStorageOptions(loadConfig({ ...KEYS, LANCEDB_URI: "s3://bucket/db", AWS_REGION: "us-east-1" }))).toEqual({ aws_access_key_id: "AKIAEXAMPLE", aws_secret_access_key: SECRET, aws_region: "us-east-1" });
  });

  it("reads within 0 ms on a folder and 5 s on object storage unless READ_CONSISTENCY_MS says otherwise; UPKEEP defaults on", () => {
    const local = loadConfig({});
    expect(readConsistencyMs(parseStorageLocation(local.LANCEDB_URI), local.READ_CONSISTENCY_MS)).toBe(0);
    expect(local.UPKEEP).toBe("on");
    const replica = loadConfig({ ...KEYS, LANCEDB_URI: "s3://bucket/db", UPKEEP: "off" });
    expect(readConsistencyMs(parseStorageLocation(replica.LANCEDB_URI), replica.READ_CONSISTENCY_MS)).toBe(5000);
    expect(replica.UPKEEP).toBe("off");
    expect(loadConfig({ ...KEYS, LANCEDB_URI: "s3://bucket/db", READ_CONSISTENCY_MS: "250" }).READ_CONSISTENCY_MS).toBe(250);
    expect(problems({ UPKEEP: "sometimes" })[0]).toMatch(/^UPKEEP: .*`on`.*`off`/);
  });

  it("wants credentials for object storage, named without their values", () => {
    expect(problems({ LANCEDB_URI: "s3+ddb://bucket/db?ddbTableName=t", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" })).toEqual([
      "LANCEDB_URI: object storage needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
    ]);
  });

  it("refuses plain s3:// on an S3-compatible endpoint unless conditional PUT is declared honoured, and points to s3+ddb://", () => {
    const [refused] = problems({ ...KEYS, LANCEDB_URI: "s3://bucket/db", AWS_ENDPOINT_URL: "http://minio.internal:9000" });
    expect(refused).toMatch(/^LANCEDB_URI: .*conditional PUT.*S3_CONDITIONAL_PUT=on.*s3\+ddb:\/\//);
    expect(loadConfig({ ...KEYS, LANCEDB_URI: "s3://bucket/db", AWS_ENDPOINT_URL: "http://minio.internal:9000", S3_CONDITIONAL_PUT: "on" }).S3_CONDITIONAL_PUT).toBe("on");
    // AWS S3 honours If-None-Match: no declaration needed.
    expect(loadConfig({ ...KEYS, LANCEDB_URI: "s3://bucket/db", AWS_ENDPOINT_URL: "https://s3.eu-west-1.amazonaws.com" }).LANCEDB_URI).toBe("s3://bucket/db");
    expect(problems({ ...KEYS, LANCEDB_URI: "s3://bucket/db", S3_CONDITIONAL_PUT: "off" })[0]).toMatch(/s3\+ddb:\/\//);
    // DynamoDB commits need no conditional PUT.
    expect(loadConfig({ ...KEYS, LANCEDB_URI: "s3+ddb://bucket/db?ddbTableName=t", AWS_ENDPOINT_URL: "http://minio.internal:9000" }).LANCEDB_URI).toContain("s3+ddb");
  });

  it("never echoes an AWS value, the session token included, in a message", () => {
    const list = problems({ AWS_SESSION_TOKEN: TOKEN, AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL: `ftp://${SECRET}@host`, AWS_ENDPOINT_URL_DYNAMODB: TOKEN, LANCEDB_URI: "s3://b/p" });
    expect(list.some((p) => p.startsWith("AWS_ENDPOINT_URL:"))).toBe(true);
    expect(list.some((p) => p.startsWith("AWS_ENDPOINT_URL_DYNAMODB:"))).toBe(true);
    for (const p of list) {
      expect(p).not.toContain(SECRET);
      expect(p).not.toContain(TOKEN);
    }
  });
});
