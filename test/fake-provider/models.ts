/**
 * Model catalogues per flavor, from REFERENCE.md. Reasoning style is a property
 * of the model because each provider surfaces reasoning differently.
 */
import type { Flavor, Reply } from "./types.js";
import { httpReply } from "./types.js";

export type ReasoningStyle =
  | "plain"
  /** DeepSeek-R1 on NIM: a `reasoning_content` field. */
  | "reasoning_content"
  /** Ollama and similar: a `reasoning` field. */
  | "reasoning"
  /** `<think>…</think>` at the start of `content` (QwQ on NIM, deepseek-r1 on Qiniu). */
  | "think"
  /** Only the closing tag: reasoning, `</think>`, answer (Kimi K2 Thinking). */
  | "closing-think";

export interface ModelEntry {
  id: string;
  kind: "embedding" | "chat" | "ranking";
  ownedBy: string;
  /** Per-input token limit (embeddings, ranking). */
  maxTokens?: number;
  /** Asymmetric embedding models need input_type on NIM. */
  asymmetric?: boolean;
  reasoning?: ReasoningStyle;
  /** NIM lists models the account cannot call; calling them gives the 404 "Function … Not found". */
  callable?: false;
  /** Chat models that take `image_url` content parts; text-only models refuse them. */
  vision?: VisionLimits;
}

export interface VisionLimits {
  /** Images per request; unset: no limit. */
  maxImages?: number;
  /** False when a system message may not accompany an image. */
  systemWithImages?: false;
}

function nimChat(id: string, reasoning: ReasoningStyle = "plain"): ModelEntry {
  return { id, kind: "chat", ownedBy: id.split("/")[0]!, reasoning };
}

const CATALOGUES: Record<Flavor, ModelEntry[]> = {
  nim: [
    { id: "nvidia/nv-embedqa-e5-v5", kind: "embedding", ownedBy: "nvidia", maxTokens: 512, asymmetric: true },
    { id: "baai/bge-m3", kind: "embedding", ownedBy: "baai", maxTokens: 8192 },
    // Deprecated on the hosted API: still listed, no longer callable.
    { id: "nvidia/llama-3.2-nv-embedqa-1b-v2", kind: "embedding", ownedBy: "nvidia", maxTokens: 8192, callable: false },
    { id: "nvidia/llama-3.2-nv-rerankqa-1b-v2", kind: "ranking", ownedBy: "nvidia", maxTokens: 8192 },
    { id: "nvidia/nv-rerankqa-mistral-4b-v3", kind: "ranking", ownedBy: "nvidia", maxTokens: 512 },
    nimChat("meta/llama-3.3-70b-instruct"),
    nimChat("meta/llama-3.1-8b-instruct"),
    nimChat("deepseek-ai/deepseek-r1", "reasoning_content"),
    nimChat("deepseek-ai/deepseek-v3.1"),
    nimChat("qwen/qwq-32b", "think"),
    nimChat("qwen/qwen3-235b-a22b"),
    nimChat("google/gemma-3-27b-it"),
    nimChat("microsoft/phi-4-mini-instruct"),
    nimChat("mistralai/mistral-large-3-675b-instruct-2512"),
    nimChat("nvidia/llama-3.3-nemotron-super-49b-v1.5"),
    nimChat("moonshotai/kimi-k2-thinking", "closing-think"),
    // Llama 3.2 Vision on NIM: one image per request and no system message beside an image
    // (NIM for VLMs 1.1.0 release notes, "Following Meta's guidance").
    { ...nimChat("meta/llama-3.2-11b-vision-instruct"), vision: { maxImages: 1, systemWithImages: false } },
    { ...nimChat("nvidia/llama-3.1-nemotron-nano-vl-8b-v1"), vision: {} },
  ],
  qiniu: [
    // Only deepseek-r1 reasons by default, with <think> at the start of content.
    { id: "deepseek-r1", kind: "chat", ownedBy: "qiniu", reasoning: "think" },
    { id: "deepseek-v3", kind: "chat", ownedBy: "qiniu" },
    { id: "deepseek-v3.1", kind: "chat", ownedBy: "qiniu" },
    { id: "qwen-turbo", kind: "chat", ownedBy: "qiniu" },
    { id: "qwen3-32b", kind: "chat", ownedBy: "qiniu" },
  ],
  // A self-hosted vLLM/Ollama-like server.
  openai: [
    { id: "baai/bge-m3", kind: "embedding", ownedBy: "vllm", maxTokens: 8192 },
    { id: "nvidia/nv-embedqa-e5-v5", kind: "embedding", ownedBy: "vllm", maxTokens: 512 },
    { id: "nvidia/llama-3.2-nv-rerankqa-1b-v2", kind: "ranking", ownedBy: "vllm", maxTokens: 8192 },
    { id: "llama3.1:8b", kind: "chat", ownedBy: "library" },
    { id: "gpt-oss:20b", kind: "chat", ownedBy: "library", reasoning: "reasoning" },
    { id: "phi4-reasoning", kind: "chat", ownedBy: "library", reasoning: "reasoning" },
  ],
};

/**
 * A callable model of this kind, or undefined. Handles the id variants the
 * providers accept: NIM's `-query`/`-passage` suffix on asymmetric models (it sets
 * input_type) and Qiniu's `?search` suffix (web search).
 */
export function findModel(flavor: Flavor, id: string, kind: ModelEntry["kind"]): { entry: ModelEntry; inputType?: "query" | "passage" } | undefined {
  const catalogue = CATALOGUES[flavor].filter((m) => m.kind === kind && m.callable !== false);
  const exact = catalogue.find((m) => m.id === id);
  if (exact) return { entry: exact };
  if (flavor === "nim" && kind === "embedding") {
    const m = /^(.*)-(query|passage)$/.exec(id);
    const base = m && catalogue.find((e) => e.id === m[1] && e.asymmetric);
    if (m && base) return { entry: base, inputType: m[2] as "query" | "passage" };
  }
  if (flavor === "qiniu") {
    const base = catalogue.find((m) => `${m.id}?search` === id);
    if (base) return { entry: base };
  }
  return undefined;
}

// Fixed, so listings are byte-identical across runs.
const CREATED = 1735689600;

/** `GET /v1/models`: the whole catalogue, callable or not, in the OpenAI list shape. */
export function listModels(flavor: Flavor): Reply {
  return httpReply(200, {
    object: "list",
    data: CATALOGUES[flavor].map((m) => ({ id: m.id, object: "model", created: CREATED, owned_by: m.ownedBy })),
  });
}
