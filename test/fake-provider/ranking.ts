/**
 * NIM reranking. Self-hosted: `POST /v1/ranking`. Hosted:
 * `POST /v1/retrieval/nvidia/<model>/reranking` with dots in the model name
 * written as underscores (`llama-3_2-nv-rerankqa-1b-v2`).
 */
import { z } from "zod";
import { inputTooLong, unknownModel, validationFailed } from "./errors.js";
import { features, overlapScore } from "./lexical.js";
import { findModel } from "./models.js";
import { estimateTokens, truncateToTokens } from "./tokens.js";
import { httpReply, type Reply, type ResolvedOptions } from "./types.js";

const RankingBody = z.looseObject({
  model: z.string(),
  query: z.looseObject({ text: z.string() }),
  passages: z.array(z.looseObject({ text: z.string() })).min(1),
  truncate: z.enum(["NONE", "END"]).optional(),
});

/** `pathModel` is the `<model>` segment of the hosted URL, when called that way. */
export function ranking(body: unknown, options: ResolvedOptions, pathModel?: string): Reply {
  const { flavor } = options;
  const requested = pathModel === undefined ? (body as { model?: unknown } | null)?.model : `nvidia/${pathModel.replaceAll("_", ".")}`;
  const model = typeof requested === "string" ? findModel(flavor, requested, "ranking") : undefined;
  if (typeof requested === "string" && !model) return unknownModel(flavor, requested);

  const parsed = RankingBody.safeParse(body);
  if (!parsed.success) return validationFailed(flavor, parsed.error, body);
  const { query, passages, truncate = "NONE" } = parsed.data;
  const maxTokens = model!.entry.maxTokens ?? 8192;

  const queryTokens = estimateTokens(query.text);
  const wanted = features(query.text);
  const rankings: { index: number; logit: number }[] = [];
  for (const [index, passage] of passages.entries()) {
    // The cross-encoder sees query and passage together, so both count toward the limit.
    const tokens = queryTokens + estimateTokens(passage.text);
    if (tokens > maxTokens && truncate === "NONE") return inputTooLong(flavor, tokens, maxTokens);
    const text = tokens > maxTokens ? truncateToTokens(passage.text, Math.max(0, maxTokens - queryTokens), "END") : passage.text;
    rankings.push({ index, logit: overlapScore(wanted, features(text)) });
  }
  // Array.prototype.sort is stable: equal logits keep passage order.
  rankings.sort((a, b) => b.logit - a.logit);
  return httpReply(200, { rankings });
}
