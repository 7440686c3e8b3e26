import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { problems } from "./helpers/config-problems.js";

describe("configuration", () => {
  it("has working defaults with no variables at all", () => {
    const config = loadConfig({});
    expect(config.NIM_BASE_URL).toBe("https://integrate.api.nvidia.com/v1");
    expect(config.QINIU_BASE_URL).toBe("https://api.qnaigc.com/v1");
    expect(config.EMBED_MODEL).toBe("nvidia/nv-embedqa-e5-v5");
    expect(config.CHAT_MODEL).toEqual({ provider: "nim", model: "meta/llama-3.3-70b-instruct", spec: "nim:meta/llama-3.3-70b-instruct" });
    expect(config.LANCEDB_URI).toBe("data/lancedb");
    expect(config.PORT).toBe(8787);
    expect(config.NIM_RPM).toBe(40);
    expect(config.EMBED_BATCH_SIZE).toBe(32);
  });

  it("explains the most common base URL mistakes", () => {
    const [full] = problems({ QINIU_BASE_URL: "https://api.qnaigc.com/v1/chat/completions" });
    expect(full).toMatch(/^QINIU_BASE_URL: .*drop `\/chat\/completions`/);
    const [bare] = problems({ QINIU_BASE_URL: "https://api.qnaigc.com" });
    expect(bare).toMatch(/^QINIU_BASE_URL: .*bare host.*add `\/v1`/);
    expect(loadConfig({ NIM_BASE_URL: "http://127.0.0.1:8000/v1/" }).NIM_BASE_URL).toBe("http://127.0.0.1:8000/v1");
  });

  it("names every bad variable at once, with the fix", () => {
    const list = problems({ PORT: "eighty", EMBED_MODEL: "text-embedding-3-small", EMBED_INPUT_TYPE_MODE: "sometimes", CHAT_MODEL: "gpt-4o" });
    expect(list.find((p) => p.startsWith("PORT:"))).toContain("whole number from 0 to 65535");
    expect(list.find((p) => p.startsWith("EMBED_MODEL:"))).toContain("baai/bge-m3");
    expect(list.find((p) => p.startsWith("EMBED_INPUT_TYPE_MODE:"))).toContain("prefix");
    expect(list.find((p) => p.startsWith("CHAT_MODEL:"))).toContain("provider:model-id");
  });

  it("parses provider:model chat names, with Qiniu's ?search suffix", () => {
    expect(loadConfig({ CHAT_MODEL: "qiniu:deepseek-v3?search" }).CHAT_MODEL).toEqual({ provider: "qiniu", model: "deepseek-v3?search", spec: "qiniu:deepseek-v3?search" });
    expect(problems({ CHAT_MODEL: "anthropic:claude" })[0]).toContain("nim, qiniu, openai");
  });

  it("never echoes a key's value in a message", () => {
    const [p] = problems({ NVIDIA_API_KEY: "nvapi-secret", NIM_RPM: "-1" });
    expect(p).not.toContain("nvapi-secret");
  });
});
