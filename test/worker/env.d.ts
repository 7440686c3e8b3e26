/** Types of the bindings the Worker tests get from `cloudflare:test` (see vitest.config.ts). */
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    FAKE_PROVIDER_URL: string;
    FAKE_PROVIDER_STATUS_URL: string;
    PDF_FOUR_PAGES: ArrayBuffer;
    PDF_ENCRYPTED: ArrayBuffer;
    PDF_CJK_CMAP: ArrayBuffer;
    PDF_BAD_FLATE: ArrayBuffer;
  }
}

/** workerd has URL.canParse; the pinned workers-types does not declare it. */
declare namespace URL {
  function canParse(url: string, base?: string): boolean;
}
