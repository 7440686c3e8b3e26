/**
 * Fake NVIDIA NIM / Qiniu / OpenAI-compatible provider for tests and benchmarks,
 * faithful to the provider facts in ../shared/REFERENCE.md (summarised in the README). Start one per test file on port 0:
 *
 *   const fake = await startFakeProvider({ flavor: "nim", rpmLimit: 40 });
 *   // point the client under test at baseURL fake.url with key "test-key"
 *   fake.inject({ type: "rate-limit" }, { route: "embeddings", times: 2 });
 *   ...
 *   await fake.close();
 */
export { startFakeProvider } from "./server.js";
export { fakeEmbedding, FAKE_DIMENSIONS } from "./vectors.js";
export { estimateTokens } from "./tokens.js";
export { fakeOcrText, imageInfo, INLINE_IMAGE_LIMIT } from "./ocr.js";
export type {
  FakeProvider,
  FakeProviderOptions,
  Fault,
  FaultRoute,
  Flavor,
  RecordedRequest,
} from "./types.js";
