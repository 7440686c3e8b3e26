import { z } from "zod";
import { COLLECTION_NAME } from "../store/vector-store.js";

/** Request shapes of the HTTP API: the single source of their types. */
export const collectionName = z
  .string()
  .regex(COLLECTION_NAME, "1-64 letters, digits, '_' or '-', starting with a letter or digit")
  .default("default");

const question = z.string().trim().min(1, "must not be empty").max(4000, "at most 4000 characters");
const topK = z.number().int("must be a whole number").min(1).max(50).default(6);

const mode = z.enum(["hybrid", "vector", "keyword"]).optional();
/** false skips the reranker for this request (when one is configured). */
const rerank = z.boolean().optional();

export const searchBody = z.strictObject({
  query: question,
  collection: collectionName,
  top_k: topK,
  mode,
  rerank,
});

export const askBody = z.strictObject({
  question,
  collection: collectionName,
  top_k: topK,
  model: z.string().min(1).max(200).optional(),
  stream: z.boolean().default(false),
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
