/**
 * What askdocs knows about each embedding model: it drives batching, input_type,
 * chunk sizes and the dimension check. Facts from ../shared/REFERENCE.md.
 */
export interface EmbedModelProfile {
  id: string;
  dims: number;
  /** Hard limit of the model, per input, in its own tokens. */
  maxTokens: number;
  /** Asymmetric models embed questions and passages differently (input_type query/passage). */
  asymmetric: boolean;
  /** Whether the API accepts a `dimensions` field (NIM rejects unknown fields). */
  acceptsDimensions: boolean;
  /** Tokenizer family, for chunk sizing: BERT WordPiece for e5; XLM-R SentencePiece for bge-m3. */
  tokenizer: "bert-wordpiece" | "xlmr-sentencepiece";
}

export const EMBED_MODELS = {
  "nvidia/nv-embedqa-e5-v5": {
    id: "nvidia/nv-embedqa-e5-v5",
    dims: 1024,
    maxTokens: 512,
    asymmetric: true,
    acceptsDimensions: false,
    tokenizer: "bert-wordpiece",
  },
  "baai/bge-m3": {
    id: "baai/bge-m3",
    dims: 1024,
    maxTokens: 8192,
    asymmetric: false,
    acceptsDimensions: false,
    tokenizer: "xlmr-sentencepiece",
  },
} as const satisfies Record<string, EmbedModelProfile>;

export type EmbedModelId = keyof typeof EMBED_MODELS;
export const EMBED_MODEL_IDS = Object.keys(EMBED_MODELS) as [EmbedModelId, ...EmbedModelId[]];

export function embedModelProfile(id: EmbedModelId): EmbedModelProfile {
  return EMBED_MODELS[id];
}
