/**
 * ESLint runs one rule: @typescript-eslint/no-floating-promises, which needs the TypeScript type checker.
 * Biome (biome.jsonc) lints and formats everything else; its own noFloatingPromises infers types itself and misses
 * promises typed in node_modules (`readFile` from node:fs/promises, LanceDB's `connect`).
 */
import tseslint from "typescript-eslint";

export default [
  { ignores: ["dist/", "data/", "node_modules/"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: { "@typescript-eslint/no-floating-promises": "error" },
  },
];
