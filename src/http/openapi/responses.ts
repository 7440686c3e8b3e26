/**
 * Response shapes for the OpenAPI document. The routes build their bodies with the
 * presenters (src/http/present.ts); these schemas describe them, and the tests parse real
 * responses with them (strict objects), so a field added or renamed on one side fails there.
 */
import { z } from "zod";

const usage = z.strictObject({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const rerank = z.strictObject({ model: z.string(), applied: z.boolean(), error: z.string().optional() }).describe("Present when a reranker is configured");
const searchMode = z.enum(["hybrid", "vector", "keyword"]);

export const hitSchema = z.strictObject({
  chunk_id: z.string(),
  document_id: z.string(),
  source: z.string().describe("File path or upload name"),
  title: z.string(),
  page: z.number().int().nullable().describe("First page (1-based); null for formats without pages"),
  page_end: z.number().int().nullable(),
  heading: z.string().describe("The heading path above the passage"),
  text: z.string(),
  score: z.number(),
});

export const citationSchema = z.strictObject({
  ...hitSchema.shape,
  n: z.number().int().describe("The number the answer cites as [n]"),
  cited: z.boolean(),
  chunk_ids: z.array(z.string()).describe("The chunks merged into this passage"),
});

export const searchResponse = z.strictObject({ results: z.array(hitSchema), mode: searchMode, rerank: rerank.optional() });

export const askResponse = z.strictObject({
  answer: z.string(),
  citations: z.array(citationSchema),
  usage: usage.nullable(),
  model: z.string().nullable().describe("provider:model; null for an extractive answer"),
  answer_mode: z.enum(["generative", "extractive"]),
  mode: searchMode,
  rerank: rerank.optional(),
  reasoning: z.string().optional(),
});

export const collectionsResponse = z.strictObject({
  data: z.array(z.strictObject({ name: z.string(), embed_model: z.string(), dims: z.number().int(), documents: z.number().int(), chunks: z.number().int() })),
});

export const uploadResponse = z.strictObject({
  document_id: z.string().optional(),
  source: z.string(),
  collection: z.string(),
  chunks: z.number().int().optional(),
  status: z.enum(["ingested", "unchanged"]),
  warnings: z.array(z.string()).optional().describe("What was read around: a PDF page skipped, a damaged stream repaired"),
});

export const documentsResponse = z.strictObject({
  collection: z.string(),
  chunk_settings: z.string().describe("The chunking settings key: with it a client computes content hashes and uploads only changed files"),
  data: z.array(
    z.strictObject({
      document_id: z.string(),
      source: z.string(),
      title: z.string(),
      chunks: z.number().int(),
      pages: z.number().int().nullable().describe("Pages of the kept original, when known"),
      original: z.boolean().describe("Whether the original file is kept (GET /v1/documents/{id}/source)"),
      content_hash: z.string(),
      ingested_at: z.string(),
    }),
  ),
});

export const askdocsErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
    request_id: z.string().optional().describe("As in the X-Request-Id header and the server's log"),
  }),
});

export const openaiModels = z.strictObject({
  object: z.literal("list"),
  data: z.array(z.strictObject({ id: z.string().describe("A collection name"), object: z.literal("model"), created: z.number().int(), owned_by: z.string() })),
});

export const chatCompletion = z.strictObject({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.strictObject({
      index: z.number().int(),
      message: z.strictObject({
        role: z.literal("assistant"),
        content: z.string().describe("The answer with [n] citations, then a `Sources:` list of the cited passages"),
        reasoning_content: z.string().optional(),
        references: z.array(citationSchema).describe("The passages given to the model, as /v1/ask's citations"),
      }),
      finish_reason: z.enum(["stop", "length", "content_filter"]),
      logprobs: z.null(),
    }),
  ),
  usage,
});

export const openaiErrorBody = z.strictObject({ error: z.strictObject({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }) });

export const anthropicMessage = z.strictObject({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  content: z.array(z.union([z.strictObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }), z.strictObject({ type: z.literal("text"), text: z.string() })])),
  stop_reason: z.enum(["end_turn", "max_tokens"]),
  stop_sequence: z.null(),
  usage: z.strictObject({ input_tokens: z.number().int(), output_tokens: z.number().int() }),
  references: z.array(citationSchema),
});

export const anthropicErrorBody = z.strictObject({ type: z.literal("error"), error: z.strictObject({ type: z.string(), message: z.string() }), request_id: z.string().optional() });
