/**
 * The OpenAPI 3.1 document of askdocs's HTTP API (its own `/v1` routes and `/health`, the
 * OpenAI- and Anthropic-compatible APIs, MCP), built from the zod schemas the routes
 * validate requests with (zod 4's `z.toJSONSchema`, whose 2020-12 dialect is OpenAPI 3.1's)
 * and the response schemas in responses.ts. Served at `/openapi.json`; the reference page
 * (reference-page.tsx) renders it.
 */
import { z } from "zod";
import { messagesBody } from "../routes/anthropic.js";
import { chatCompletionBody } from "../routes/openai.js";
import { askBody, collectionName, collectionQuery, documentPath, searchBody } from "../schemas.js";
import * as responses from "./responses.js";

type JsonSchema = Record<string, unknown>;
type Shape = "askdocs" | "openai" | "anthropic";

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  tag: string;
  summary: string;
  description?: string;
  body?: z.ZodType;
  /** The body is a file upload rather than JSON. */
  multipart?: boolean;
  query?: z.ZodObject;
  params?: z.ZodObject;
  /** `mediaType`: the body is that (a file, text) rather than JSON. */
  ok: { status?: number; description: string; schema?: z.ZodType; stream?: string; mediaType?: string };
  errors: Shape;
  /** Served without the API key. */
  open?: boolean;
}

function schema(type: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(type, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function parameters(where: "query" | "path", object: z.ZodObject | undefined) {
  if (!object) return [];
  const json = schema(object, "input") as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
    schema: property,
  }));
}

const ERROR_BODIES = { askdocs: responses.askdocsErrorBody, openai: responses.openaiErrorBody, anthropic: responses.anthropicErrorBody } as const;

const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/health",
    tag: "askdocs",
    summary: "Service, store and provider status",
    open: true,
    ok: { description: "Always 200 while the process serves; `store.ok` says whether the store answers" },
    errors: "askdocs",
  },
  { method: "get", path: "/v1/collections", tag: "askdocs", summary: "List collections", ok: { description: "Every collection", schema: responses.collectionsResponse }, errors: "askdocs" },
  {
    method: "get",
    path: "/v1/models",
    tag: "askdocs",
    summary: "List chat models",
    description: "The chat models of every configured provider, as `provider:model`.",
    ok: { description: "Chat models and provider status" },
    errors: "askdocs",
  },
  { method: "post", path: "/v1/search", tag: "askdocs", summary: "Search a collection", body: searchBody, ok: { description: "The top-k passages, best first", schema: responses.searchResponse }, errors: "askdocs" },
  {
    method: "post",
    path: "/v1/ask",
    tag: "askdocs",
    summary: "Answer a question with citations",
    description: "Retrieves, then answers from the passages only, citing them as [n]. With `stream: true` the answer is server-sent events: `citations`, `reasoning`, `delta`, then `done` or `error`.",
    body: askBody,
    ok: { description: "The answer and its citations", schema: responses.askResponse, stream: "`citations`, `reasoning`, `delta`, `done` or `error` events" },
    errors: "askdocs",
  },
  {
    method: "post",
    path: "/v1/documents",
    tag: "askdocs",
    summary: "Upload one document",
    description: "PDF, Markdown, HTML or text; re-uploading a name replaces that document.",
    multipart: true,
    ok: { status: 201, description: "Ingested (200 when unchanged)", schema: responses.uploadResponse },
    errors: "askdocs",
  },
  { method: "get", path: "/v1/documents", tag: "askdocs", summary: "List a collection's documents", query: collectionQuery, ok: { description: "The documents", schema: responses.documentsResponse }, errors: "askdocs" },
  {
    method: "get",
    path: "/v1/documents/{id}/source",
    tag: "askdocs",
    summary: "The document's original file",
    description: "As uploaded or ingested, with its media type; what a citation links to (`#page=n` for PDFs).",
    params: documentPath,
    query: collectionQuery,
    ok: { description: "The file's bytes", mediaType: "application/octet-stream" },
    errors: "askdocs",
  },
  { method: "delete", path: "/v1/documents/{id}", tag: "askdocs", summary: "Delete a document", params: documentPath, query: collectionQuery, ok: { description: "Deleted" }, errors: "askdocs" },
  {
    method: "get",
    path: "/openai/v1/models",
    tag: "OpenAI-compatible",
    summary: "Collections as models",
    ok: { description: "Every collection, in OpenAI's model list shape", schema: responses.openaiModels },
    errors: "openai",
  },
  {
    method: "post",
    path: "/openai/v1/chat/completions",
    tag: "OpenAI-compatible",
    summary: "Chat completion over a collection",
    description:
      "`model` names the collection (`default`, or `research@qiniu:deepseek-v3` to choose the chat model). The last user message is the question; a follow-up is searched together with the previous user message. The answer cites [n] and ends with a sources list; `references` holds the passages. With `stream: true`: `chat.completion.chunk` events, `references` on the chunk with `finish_reason`, a usage chunk with `stream_options.include_usage`, then `[DONE]`.",
    body: chatCompletionBody,
    ok: { description: "A chat completion", schema: responses.chatCompletion, stream: "`chat.completion.chunk` data lines, then `data: [DONE]`" },
    errors: "openai",
  },
  {
    method: "post",
    path: "/anthropic/v1/messages",
    tag: "Anthropic-compatible",
    summary: "Messages API over a collection",
    description:
      "`model` as on the OpenAI-compatible API. Key in `x-api-key` or `Authorization: Bearer`. Streamed: `message_start`, `content_block_*` (`thinking_delta`, `text_delta`), `message_delta` (with `references`), `message_stop`; `error` on failure.",
    body: messagesBody,
    ok: { description: "A message", schema: responses.anthropicMessage, stream: "Messages API events" },
    errors: "anthropic",
  },
  {
    method: "post",
    path: "/mcp",
    tag: "MCP",
    summary: "Model Context Protocol (Streamable HTTP)",
    description: "JSON-RPC 2.0 messages of the Model Context Protocol, stateless, answered as JSON. Tools: `search`, `ask`, `list_collections`, `list_documents`. Use an MCP client rather than calling this by hand.",
    body: z.looseObject({ jsonrpc: z.literal("2.0"), method: z.string(), id: z.union([z.string(), z.number()]).optional(), params: z.looseObject({}).optional() }),
    ok: { description: "The JSON-RPC response" },
    errors: "askdocs",
  },
  {
    method: "get",
    path: "/metrics",
    tag: "askdocs",
    summary: "Prometheus metrics",
    description: "Request counts and latencies by route, provider calls, ingest progress (text exposition format).",
    ok: { description: "Prometheus text format", mediaType: "text/plain" },
    errors: "askdocs",
  },
  { method: "get", path: "/openapi.json", tag: "askdocs", summary: "This document", open: true, ok: { description: "OpenAPI 3.1" }, errors: "askdocs" },
  { method: "get", path: "/reference", tag: "askdocs", summary: "The API reference page (HTML)", open: true, ok: { description: "HTML" }, errors: "askdocs" },
];

const ERROR_STATUSES: Record<string, string> = {
  "400": "Invalid request: the message and `param`/`details` name the field",
  "401": "Missing or wrong API key",
  "404": "No such collection, document or route",
  "502": "The chat or embedding provider failed",
  "503": "A provider is not configured",
};

function operation(op: Operation) {
  const error = { description: "", content: { "application/json": { schema: schema(ERROR_BODIES[op.errors], "output") } } };
  const okContent = op.ok.mediaType
    ? { [op.ok.mediaType]: { schema: { type: "string" } } }
    : {
        "application/json": { schema: op.ok.schema ? schema(op.ok.schema, "output") : { type: "object" } },
        ...(op.ok.stream ? { "text/event-stream": { schema: { type: "string", description: op.ok.stream } } } : {}),
      };
  const body = op.multipart
    ? {
        required: true,
        content: {
          "multipart/form-data": { schema: { type: "object", required: ["file"], properties: { file: { type: "string", contentMediaType: "application/octet-stream" }, collection: schema(collectionName, "input") } } },
        },
      }
    : op.body && { required: true, content: { "application/json": { schema: schema(op.body, "input") } } };
  const params = [...parameters("path", op.params), ...parameters("query", op.query)];
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    ...(op.open ? { security: [] } : op.errors === "anthropic" ? { security: [{ bearer: [] }, { apiKey: [] }] } : {}),
    responses: {
      [String(op.ok.status ?? 200)]: { description: op.ok.description, content: okContent },
      ...Object.fromEntries(Object.entries(ERROR_STATUSES).map(([status, description]) => [status, { ...error, description }])),
    },
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) paths[op.path] = { ...paths[op.path], [op.method]: operation(op) };
  return {
    openapi: "3.1.0",
    info: {
      title: "askdocs",
      version: "0.1.0",
      description:
        "Document Q&A with citations: askdocs's own API, OpenAI- and Anthropic-compatible chat over your collections, and MCP. When RAG_API_KEY is set every route but /health, /openapi.json and /reference needs it.",
    },
    servers: [{ url: "/" }],
    tags: [{ name: "askdocs" }, { name: "OpenAI-compatible" }, { name: "Anthropic-compatible" }, { name: "MCP" }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "RAG_API_KEY" },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "RAG_API_KEY (the Anthropic-compatible API only)" },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
