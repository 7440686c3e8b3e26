/**
 * Runs in the Node host before the Worker tests: starts the fake NIM provider on
 * loopback and hands its URLs to the workerd tests (as Miniflare bindings, see
 * vitest.config.ts).
 */
import type { TestProject } from "vitest/node";
import { startFakeProvider } from "../fake-provider/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    fakeProviderUrl: string;
    fakeProviderStatusUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeProvider({ flavor: "nim" });
  project.provide("fakeProviderUrl", fake.url);
  project.provide("fakeProviderStatusUrl", fake.statusUrl);
  return () => fake.close();
}
