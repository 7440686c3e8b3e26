import type { EmbedModelProfile } from "../src/providers/embed-models.js";
import { type ChunkOptions, chunkOptionsFor } from "./chunk.js";
import { type TokenCounter, createTokenCounter } from "./tokens.js";

/** Bump when chunking changes, so every document is re-chunked on the next run. */
const CHUNKER_VERSION = "chunker-1";

export interface IngestSettings {
  /** Vector size of the configured model, for collections created before any vector exists. */
  dims: number;
  countTokens: TokenCounter;
  chunkOptions: ChunkOptions;
  /** Goes into each document's content hash: new settings re-ingest everything once. */
  settingsKey: string;
}

/** The chunking settings for a model, shared by the ingest command and HTTP uploads. */
export function ingestSettings(profile: EmbedModelProfile): IngestSettings {
  const countTokens = createTokenCounter(profile);
  const chunkOptions = chunkOptionsFor(profile, countTokens);
  return {
    dims: profile.dims,
    countTokens,
    chunkOptions,
    settingsKey: `${CHUNKER_VERSION}:${profile.id}:${chunkOptions.maxTokens}:${chunkOptions.targetTokens}:${chunkOptions.overlapTokens}`,
  };
}
