import { z } from "zod";
import { COLLECTION_NAME } from "../store/vector-store.js";

/** Request shapes of the HTTP API: the single source of their types. */
export const collectionName = z.string().regex(COLLECTION_NAME, "1-64 letters, digits, '_' or '-', starting with a letter or digit").default("default").describe("Collection name (see GET /v1/collections)");

/** Passages an answer draws on when the client does not say (the chat doors never do). */
export const DEFAULT_TOP_K = 6;

export const question = z.string().trim().min(1, "must not be empty").max(4000, "at most 4000 characters").describe("The question, in any language");
export const topK = z.number().int("must be a whole number").min(1).max(50).default(DEFAULT_TOP_K).describe("How many passages to retrieve");

export const mode = z.enum(["hybrid", "vector", "keyword"]).optional().describe("Retrieval mode; default hybrid, or keyword when no embedding provider is configured");
/** false skips the reranker for this request (when one is configured). */
export const rerank = z.boolean().optional().describe("false skips the reranker for this request");

export const chatModel = z.string().min(1).max(200).optional().describe("Chat model as provider:model (e.g. nim:meta/llama-3.3-70b-instruct); default CHAT_MODEL");

export const searchBody = z.strictObject({
  query: question.describe("What to search for: a question or keywords"),
  collection: collectionName,
  top_k: topK,
  mode,
  rerank,
});

export const askBody = z.strictObject({
  question,
  collection: collectionName,
  top_k: topK,
  model: chatModel,
  stream: z.boolean().default(false).describe("Stream the answer as server-sent events"),
  mode,
  rerank,
});

export const collectionQuery = z.object({ collection: collectionName });

/**
 * An upload's relative path (`a/README.md`), kept as its source so that two files of one
 * name in different folders stay two documents: forward slashes, no `..`, not absolute.
 */
export const uploadSource = z
  .string()
  .min(1, "must not be empty")
  .max(255, "at most 255 characters")
  .refine((s) => !s.startsWith("/") && !/^[A-Za-z]:/.test(s), "must be a relative path")
  .refine((s) => !s.includes("\\"), "must use forward slashes")
  .refine((s) => !s.split("/").includes(".."), "must not contain `..`")
  .refine((s) => !/[\u0000-\u001f]/.test(s), "must not contain control characters");

export const documentPath = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, "a document id: 32 hex characters") });

export type SearchBody = z.infer<typeof searchBody>;
export type AskBody = z.infer<typeof askBody>;
