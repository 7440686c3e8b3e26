/**
 * Adobe's predefined CMaps for the PDF loader (Node), from the `cmaps/` folder of the
 * pdfjs-dist package whose version matches the pdf.js that unpdf bundles (5.6.205): the
 * packed format is pdf.js's own. Only plain CMap names are read, never a path.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { CMapReader } from "../loaders/index.js";

export function createCMapFiles(): CMapReader {
  const folder = join(dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json")), "cmaps");
  return {
    async read(name) {
      if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`not a CMap name: ${JSON.stringify(name)}`);
      return new Uint8Array(await readFile(join(folder, `${name}.bcmap`)));
    },
  };
}
