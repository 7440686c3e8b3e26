import { type ChatModelSpec, type Config, chatModelSpecSchema } from "../config.js";
import { AppError, InvalidRequestError, NotConfiguredError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { type ChatModel, createChatModel, listModels } from "./chat.js";
import { type Embedder, createEmbedder } from "./embed.js";
import { embedModelProfile } from "./embed-models.js";
import { type ImageTextReader, NEMO_RETRIEVER_OCR, createImageTextReader } from "./ocr.js";
import { createPacer } from "./pacing.js";
import { ProviderError } from "./provider-error.js";
import { configuredSecrets, createRedactor } from "./redact.js";
import { type Reranker, createReranker, hostedRerankPath } from "./rerank.js";
import { type AttemptInfo, type Transport, createTransport } from "./transport.js";

/**
 * Builds every provider client from the configuration, once per process: one
 * transport and one pacing queue per provider, shared by ingest and questions.
 */
export type ChatProvider = ChatModelSpec["provider"];

export interface ProviderStatus {
  provider: ChatProvider;
  configured: boolean;
  /** What to set when not configured. */
  needs: string;
}

export interface Providers {
  /** Undefined when no embedding provider is configured. */
  readonly embedder: Embedder | undefined;
  /** Undefined unless RERANK_MODEL is set (and a key or self-hosted URL is there). */
  readonly reranker: Reranker | undefined;
  /** Undefined unless OCR_MODEL is set (and a key or self-hosted URL is there). */
  readonly ocr: ImageTextReader | undefined;
  /** Why `embedder` is undefined: the variables to set. */
  readonly embedderMissing: string | undefined;
  readonly defaultChatModel: string;
  /** Resolves `provider:model` (default CHAT_MODEL). Throws 400 for a bad or unconfigured choice, 503 when the default is not configured. */
  chat(spec?: string): ChatModel;
  status(): ProviderStatus[];
  listModels(provider: ChatProvider, signal?: AbortSignal): Promise<string[]>;
  /** Retries made by all transports so far. */
  retries(): number;
}

export interface CreateProvidersOptions {
  fetch?: typeof fetch;
  logger?: Logger;
  countTokens?: (text: string) => number;
  /** Every provider attempt's outcome and queue wait (metrics). */
  onAttempt?: (info: AttemptInfo) => void;
  /** Wait between NIM 202 polls (default 1000). */
  pollIntervalMs?: number;
  /** Shortest retry back-off (default 500); tests lower it. */
  baseDelayMs?: number;
  /** An embedder the platform provides (Workers AI on a Worker), used instead of one built from the configuration. */
  embedder?: Embedder;
}

/** NIM's hosted computer-vision APIs (NeMo Retriever OCR) live here, not under NIM_BASE_URL. */
const HOSTED_OCR_URL = "https://ai.api.nvidia.com/v1";

/** A model the caller named: the provider not knowing it is the caller's mistake (400 naming `model`), not a bad gateway. */
function asCallerChoice(chat: ChatModel): ChatModel {
  const blame = (error: unknown) =>
    error instanceof ProviderError && error.kind === "unknown_model" ? new AppError(400, error.code, error.message, { cause: error, details: [{ path: "model", message: "not served by the provider" }] }) : error;
  return {
    id: chat.id,
    model: chat.model,
    complete: (request) =>
      chat.complete(request).catch((error: unknown) => {
        throw blame(error);
      }),
    async *stream(request) {
      try {
        yield* chat.stream(request);
      } catch (error) {
        throw blame(error);
      }
    },
  };
}

const NAMES: Record<ChatProvider, string> = { nim: "NVIDIA NIM", qiniu: "Qiniu", openai: "OpenAI-compatible server" };

export function createProviders(config: Config, options: CreateProvidersOptions = {}): Providers {
  const logger = options.logger ?? silentLogger;
  const common = {
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    retry: { maxRetries: config.PROVIDER_MAX_RETRIES, ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    // Every secret, not just the transport's own: a provider may echo any header or a key pasted into a prompt.
    redact: createRedactor(configuredSecrets(config)),
    onRetry: (info: { provider: string; attempt: number; delayMs: number; kind: string; status?: number | undefined }) =>
      logger.warn("provider retry", { provider: info.provider, attempt: info.attempt, kind: info.kind, status: info.status, delay_ms: Math.round(info.delayMs) }),
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
  };

  const nimPacer = createPacer({ name: "nim", rpm: config.NIM_RPM, concurrency: config.NIM_CONCURRENCY });
  const providers: Record<ChatProvider, { configured: boolean; needs: string; transport: Transport }> = {
    nim: {
      configured: Boolean(config.NVIDIA_API_KEY),
      needs: "NVIDIA_API_KEY",
      transport: createTransport({
        ...common,
        provider: NAMES.nim,
        keyVariable: "NVIDIA_API_KEY",
        baseURL: config.NIM_BASE_URL,
        apiKey: config.NVIDIA_API_KEY,
        statusURL: config.NVCF_STATUS_URL,
        pacer: nimPacer,
      }),
    },
    qiniu: {
      configured: Boolean(config.QINIU_API_KEY),
      needs: "QINIU_API_KEY",
      transport: createTransport({
        ...common,
        provider: NAMES.qiniu,
        keyVariable: "QINIU_API_KEY",
        baseURL: config.QINIU_BASE_URL,
        apiKey: config.QINIU_API_KEY,
        pacer: createPacer({ name: "qiniu", rpm: config.QINIU_RPM, concurrency: config.QINIU_CONCURRENCY }),
      }),
    },
    openai: {
      configured: Boolean(config.OPENAI_BASE_URL),
      needs: "OPENAI_BASE_URL (and OPENAI_API_KEY if the server wants one)",
      transport: createTransport({
        ...common,
        provider: NAMES.openai,
        keyVariable: "OPENAI_API_KEY",
        baseURL: config.OPENAI_BASE_URL ?? "http://127.0.0.1:8000/v1",
        apiKey: config.OPENAI_API_KEY,
        pacer: createPacer({ name: "openai", rpm: config.OPENAI_RPM, concurrency: config.OPENAI_CONCURRENCY }),
      }),
    },
  };

  // Embeddings: a self-hosted server when EMBED_BASE_URL is set, else NIM (sharing NIM's queue with chat).
  const profile = embedModelProfile(config.EMBED_MODEL);
  let embedder: Embedder | undefined;
  let embedderMissing: string | undefined;
  const embedTransport = config.EMBED_BASE_URL
    ? createTransport({
        ...common,
        provider: "embedding server",
        keyVariable: "EMBED_API_KEY",
        baseURL: config.EMBED_BASE_URL,
        apiKey: config.EMBED_API_KEY,
        pacer: createPacer({ name: "embed", rpm: config.EMBED_RPM, concurrency: config.EMBED_CONCURRENCY }),
      })
    : providers.nim.configured
      ? providers.nim.transport
      : undefined;
  if (options.embedder) {
    embedder = options.embedder;
  } else if (embedTransport) {
    embedder = createEmbedder({
      transport: embedTransport,
      profile,
      inputTypeMode: config.EMBED_INPUT_TYPE_MODE,
      batchSize: config.EMBED_BATCH_SIZE,
      ...(options.countTokens ? { countTokens: options.countTokens } : {}),
    });
  } else {
    embedderMissing = "No embedding provider: set NVIDIA_API_KEY (hosted NIM) or EMBED_BASE_URL (a self-hosted OpenAI-compatible server).";
  }

  /**
   * A NIM service beside chat and embeddings (reranking, OCR): a self-hosted server with a
   * queue of its own when `baseURL` is set, else hosted NIM on NIM's queue. Its own key,
   * else NVIDIA_API_KEY; undefined when neither a server nor a key is given.
   */
  const nimService = (service: { name: string; label: string; keyVariable: string; ownKey: string | undefined; baseURL: string | undefined; hostedURL: string }): Transport | undefined => {
    const apiKey = service.ownKey ?? config.NVIDIA_API_KEY;
    if (!service.baseURL && !apiKey) return undefined;
    const hosted = !service.baseURL;
    return createTransport({
      ...common,
      provider: hosted ? `NVIDIA NIM ${service.label}` : `${service.label} server`,
      keyVariable: service.ownKey ? service.keyVariable : "NVIDIA_API_KEY",
      baseURL: service.baseURL ?? service.hostedURL,
      apiKey,
      pacer: hosted ? nimPacer : createPacer({ name: service.name, rpm: config.EMBED_RPM, concurrency: config.EMBED_CONCURRENCY }),
    });
  };

  // Reranking: a self-hosted container when RERANK_BASE_URL is set, else hosted NIM.
  const rerankTransport = config.RERANK_MODEL
    ? nimService({ name: "rerank", label: "reranking", keyVariable: "RERANK_API_KEY", ownKey: config.RERANK_API_KEY, baseURL: config.RERANK_BASE_URL, hostedURL: config.NIM_RETRIEVAL_URL })
    : undefined;
  const reranker: Reranker | undefined =
    config.RERANK_MODEL && rerankTransport ? createReranker({ model: config.RERANK_MODEL, path: config.RERANK_BASE_URL ? "/ranking" : hostedRerankPath(config.RERANK_MODEL), transport: rerankTransport }) : undefined;

  // OCR: hosted NIM unless OCR_BASE_URL names a server of its own.
  const ocrTransport = config.OCR_MODEL
    ? nimService({
        name: "ocr",
        label: "OCR",
        keyVariable: "OCR_API_KEY",
        ownKey: config.OCR_API_KEY,
        baseURL: config.OCR_BASE_URL,
        hostedURL: config.OCR_MODEL === NEMO_RETRIEVER_OCR ? HOSTED_OCR_URL : config.NIM_BASE_URL,
      })
    : undefined;
  const ocr: ImageTextReader | undefined = config.OCR_MODEL && ocrTransport ? createImageTextReader({ model: config.OCR_MODEL, transport: ocrTransport }) : undefined;

  const configuredChoices = () => (Object.keys(providers) as ChatProvider[]).filter((p) => providers[p].configured).map((p) => `${p}:<model-id>`);

  const chatModels = new Map<string, ChatModel>();

  return {
    embedder,
    reranker,
    ocr,
    embedderMissing,
    defaultChatModel: config.CHAT_MODEL.spec,
    chat(spec) {
      const parsed = spec === undefined ? { success: true as const, data: config.CHAT_MODEL } : chatModelSpecSchema.safeParse(spec);
      const choices = configuredChoices();
      const choiceText = choices.length ? `Configured choices: ${choices.join(", ")}.` : "No chat provider is configured: set NVIDIA_API_KEY, QINIU_API_KEY or OPENAI_BASE_URL.";
      if (!parsed.success) {
        throw new InvalidRequestError(`Unknown chat model \`${spec}\`: expected \`provider:model-id\` with provider nim, qiniu or openai. ${choiceText}`, [{ path: "model", message: "unknown provider" }]);
      }
      const { provider, model, spec: id } = parsed.data;
      const entry = providers[provider];
      if (!entry.configured) {
        const message = `Chat provider "${provider}" is not configured: set ${entry.needs}. ${choiceText}`;
        if (spec === undefined) throw new NotConfiguredError(message);
        throw new InvalidRequestError(message, [{ path: "model", message: `provider ${provider} not configured` }]);
      }
      let chat = chatModels.get(id);
      if (!chat) {
        chat = createChatModel({ transport: entry.transport, id, model });
        chatModels.set(id, chat);
      }
      return spec === undefined ? chat : asCallerChoice(chat);
    },
    status: () => (Object.keys(providers) as ChatProvider[]).map((p) => ({ provider: p, configured: providers[p].configured, needs: providers[p].needs })),
    listModels(provider, signal) {
      const entry = providers[provider];
      if (!entry.configured) throw new NotConfiguredError(`Chat provider "${provider}" is not configured: set ${entry.needs}.`);
      return listModels(entry.transport, signal);
    },
    retries: () => [...new Set([...Object.values(providers).map((p) => p.transport), ...(embedTransport ? [embedTransport] : [])])].reduce((n, t) => n + t.retries, 0),
  };
}
