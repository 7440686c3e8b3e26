/**
 * Lease records as DynamoDB items (conditional-lease-store.ts), for `s3+ddb://` deployments: in the same table LanceDB
 * commits through (its key is `base_uri` + `version`; lease items use a `base_uri` no
 * LanceDB table has), so no second table to provision. Creating and renewing are
 * conditional PutItems, which DynamoDB makes atomic.
 */
import { awsClient } from "../store/s3-objects.js";
import type { AwsSettings } from "../store/storage-location.js";
import type { ConditionalLeaseBackend, ConditionalLeaseRecord } from "./conditional-lease-store.js";

interface Item {
  base_uri: { S: string };
  version: { N: string };
  token: { S: string };
  record: { S: string };
}

export function dynamoDbLeaseBackend(aws: AwsSettings, table: string, scope: string): ConditionalLeaseBackend {
  const { region, client } = awsClient(aws, "dynamodb");
  const endpoint = aws.AWS_ENDPOINT_URL_DYNAMODB ?? `https://dynamodb.${region}.amazonaws.com`;
  const itemKey = (key: string) => ({ base_uri: { S: `askdocs-lease:${scope}/${key}` }, version: { N: "0" } });

  /** One DynamoDB JSON call; `undefined` when a condition failed. */
  async function call(action: string, body: object): Promise<Record<string, unknown> | undefined> {
    const response = await client.fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${action}` },
      body: JSON.stringify({ TableName: table, ...body }),
    });
    const text = await response.text();
    if (response.ok) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (/ConditionalCheckFailed/.test(text)) return undefined;
    // The body names the error type; it never holds our credentials.
    throw new Error(`DynamoDB ${action} on table ${table} failed: HTTP ${response.status} ${text.slice(0, 200)}`);
  }

  const item = (key: string, record: ConditionalLeaseRecord, token: string): Item => ({ ...itemKey(key), token: { S: token }, record: { S: JSON.stringify(record) } });
  const newToken = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

  return {
    async create(key, record) {
      const token = newToken();
      const created = await call("PutItem", { Item: item(key, record, token), ConditionExpression: "attribute_not_exists(base_uri)" });
      if (created) return { created: true, version: token };
      const found = (await call("GetItem", { Key: itemKey(key), ConsistentRead: true }))?.Item as Item | undefined;
      return { created: false, ...(found ? { current: { record: JSON.parse(found.record.S) as ConditionalLeaseRecord, version: found.token.S } } : {}) };
    },
    async replace(key, record, version) {
      const token = newToken();
      const replaced = await call("PutItem", { Item: item(key, record, token), ConditionExpression: "#t = :v", ExpressionAttributeNames: { "#t": "token" }, ExpressionAttributeValues: { ":v": { S: version } } });
      return replaced ? token : undefined;
    },
    async remove(key, version) {
      await call("DeleteItem", { Key: itemKey(key), ConditionExpression: "#t = :v", ExpressionAttributeNames: { "#t": "token" }, ExpressionAttributeValues: { ":v": { S: version } } });
    },
  };
}
