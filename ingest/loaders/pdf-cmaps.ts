/**
 * Predefined CMaps for pdf.js. A PDF may name one of Adobe's predefined CMaps instead of
 * embedding its font's encoding: Chinese, Japanese and Korean text in a font that is not
 * embedded (`/Encoding /UniGB-UCS2-H` or `/GBK-EUC-H` with STSong-Light, as ReportLab's
 * UnicodeCIDFont and many Chinese office tools write it). pdf.js reads such text only with
 * the CMap's data (pdfjs-dist's `cmaps/*.bcmap`), which it asks for through its
 * `BinaryDataFactory` option. The runtime that has the files gives a CMapReader (Node:
 * ingest/node/cmap-files.ts); without one, the names pdf.js asked for are recorded so that
 * the loader can say why such a document has no text rather than index nothing silently.
 */
import type { CMapReader } from "./types.js";

/** What pdf.js asks its BinaryDataFactory for (pdf.js 5.x, src/display/binary_data_factory.js). */
interface BinaryDataRequest {
  kind: "cMapUrl" | "standardFontDataUrl" | "wasmUrl";
  filename: string;
}

export interface CMapSource {
  /** The class pdf.js's `getDocument` takes as `BinaryDataFactory`. */
  factory: new (
    options: unknown,
  ) => { fetch(request: BinaryDataRequest): Promise<Uint8Array> };
  /** CMaps the document needed and `reader` could not give (none without a reader). */
  missing: Set<string>;
}

/**
 * A BinaryDataFactory that serves CMaps from `reader` and nothing else: standard font and
 * wasm files are refused as pdf.js's own factory refuses them without a URL, and pdf.js
 * then falls back to system fonts and JavaScript decoders, as it did before.
 */
export function cMapSource(reader: CMapReader | undefined): CMapSource {
  const missing = new Set<string>();
  class CMapFactory {
    async fetch({ kind, filename }: BinaryDataRequest): Promise<Uint8Array> {
      if (kind !== "cMapUrl") throw new Error(`no ${kind} data here`);
      const name = filename.replace(/\.bcmap$/, "");
      try {
        if (!reader) throw new Error("no CMap reader");
        return await reader.read(name);
      } catch (error) {
        missing.add(name);
        throw error;
      }
    }
  }
  return { factory: CMapFactory, missing };
}
