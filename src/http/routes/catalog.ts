/** `GET /v1/collections` and `GET /v1/models`: what can be searched and which chat models can answer. */
import { Hono } from "hono";
import type { Runtime } from "../../runtime/runtime.js";

const NOT_CHAT = /embed|rerank|ranking|retriever|bge-|clip|parse|ocr|guard|reward/i;
/** Catalogues change rarely; listing them on every call would spend the provider's request budget. */
const LIST_TTL_MS = 10 * 60_000;

export function catalogRoutes(deps: Runtime) {
  const app = new Hono();
  const listed = new Map<string, { at: number; ids: string[] }>();
  const chatIds = async (provider: Parameters<Runtime["providers"]["listModels"]>[0], signal: AbortSignal) => {
    const hit = listed.get(provider);
    if (hit && Date.now() - hit.at < LIST_TTL_MS) return hit.ids;
    const ids = (await deps.providers.listModels(provider, signal)).filter((id) => !NOT_CHAT.test(id));
    listed.set(provider, { at: Date.now(), ids });
    return ids;
  };

  app.get("/v1/collections", async (c) => {
    const list = await deps.store.listCollections();
    return c.json({ data: list.map((col) => ({ name: col.name, embed_model: col.embedModel, dims: col.dims, documents: col.documents, chunks: col.chunks })) });
  });

  app.get("/v1/models", async (c) => {
    const defaultModel = deps.providers.defaultChatModel;
    const providers = await Promise.all(
      deps.providers
        .status()
        .filter((p) => p.configured)
        .map(async ({ provider }) => {
          try {
            return { provider, ok: true as const, ids: await chatIds(provider, c.req.raw.signal) };
          } catch (error) {
            return { provider, ok: false as const, ids: [], error: (error as Error).message };
          }
        }),
    );
    const data = providers.flatMap((p) => p.ids.map((id) => ({ id: `${p.provider}:${id}`, provider: p.provider, model: id, default: `${p.provider}:${id}` === defaultModel })));
    // The default stays choosable even when a provider's listing failed or omits it.
    const defaultProvider = defaultModel.split(":")[0];
    if (!data.some((m) => m.id === defaultModel) && providers.some((p) => p.provider === defaultProvider)) {
      data.unshift({ id: defaultModel, provider: defaultProvider as (typeof data)[number]["provider"], model: defaultModel.slice(defaultModel.indexOf(":") + 1), default: true });
    }
    return c.json({
      data,
      providers: deps.providers.status().map((s) => {
        const listed = providers.find((p) => p.provider === s.provider);
        return { provider: s.provider, configured: s.configured, ...(s.configured ? {} : { needs: s.needs }), ...(listed && !listed.ok ? { error: listed.error } : {}) };
      }),
    });
  });

  return app;
}
