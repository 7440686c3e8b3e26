/**
 * The Worker test project: askdocs's Worker runs in workerd through
 * @cloudflare/vitest-pool-workers, with D1 in Miniflare (migrations applied per test
 * file) and an in-memory Vectorize stand-in bound by the tests (Vectorize has no local
 * simulation). The fake NIM provider runs in the Node host (global-setup.ts); its URL
 * reaches the Worker as a binding. Kept apart from the Node project so that LanceDB's
 * native addon never loads in workerd.
 */
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("../../", import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(`${root}migrations`);
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        miniflare: {
          // The date wrangler.toml deploys with; nodejs_compat only for the test runner itself.
          compatibilityDate: "2026-04-26",
          compatibilityFlags: ["nodejs_compat"],
          d1Databases: ["DB"],
          dataBlobBindings: {
            PDF_FOUR_PAGES: `${root}test/fixtures/pdfs/004-pdflatex-4-pages_pdflatex-4-pages.pdf`,
            PDF_ENCRYPTED: `${root}test/fixtures/pdfs/005-libreoffice-writer-password_libreoffice-writer-password.pdf`,
            PDF_CJK_CMAP: `${root}test/fixtures/hard-pdfs/cid-unigb-ucs2.pdf`,
            PDF_BAD_FLATE: `${root}test/fixtures/hard-pdfs/flate-bad-header.pdf`,
          },
          bindings: { TEST_MIGRATIONS: migrations, FAKE_PROVIDER_URL: inject("fakeProviderUrl"), FAKE_PROVIDER_STATUS_URL: inject("fakeProviderStatusUrl") },
        },
      })),
    ],
    test: {
      name: "worker",
      // After the Node project (vitest.config.ts).
      sequence: { groupOrder: 1 },
      include: ["**/*.test.ts"],
      globalSetup: ["./global-setup.ts"],
      setupFiles: ["./apply-migrations.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
