/**
 * PDF parsing speed on the long PDFs: one thread (load and chunk in this thread, one file
 * after another) against the worker pool (all files at once), in one run, alternating.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { createInlineParser } from "../../../ingest/document-parser.js";
import { ingestSettings } from "../../../ingest/settings.js";
import { embedModelProfile } from "../../../src/providers/embed-models.js";
import { createParsePool } from "../../../ingest/node/parse-pool.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureParsing(dir: string, runs: number): Promise<{ pages: number; oneThread: number[]; pool: number[]; poolSize: number }> {
  const pdfs = await Promise.all(
    (await readdir(dir))
      .filter((n) => n.endsWith(".pdf"))
      .sort()
      .map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(dir, name))) })),
  );
  const e5 = "nvidia/nv-embedqa-e5-v5";
  const pool = createParsePool({ embedModel: e5 });
  const inline = createInlineParser(ingestSettings(embedModelProfile(e5)).chunkOptions);
  const pageCount = new Map<string, number>();
  const oneThread: number[] = [];
  const inPool: number[] = [];
  let pages = 0;
  try {
    // Warm both (thread start, module loading, the JIT) before timing them.
    await Promise.all(pdfs.slice(0, pool.concurrency).map((p) => pool.parse(p.bytes, p.name, { timeoutMs: 600_000 })));
    for (const p of pdfs.slice(0, pool.concurrency)) await inline.parse(p.bytes, p.name, { timeoutMs: 600_000 });
    for (let run = 0; run < runs; run++) {
      let t0 = performance.now();
      pages = 0;
      for (const pdf of pdfs) {
        const parsed = await inline.parse(pdf.bytes, pdf.name, { timeoutMs: 600_000 });
        pageCount.set(pdf.name, Math.max(...parsed.chunks.map((c) => c.pageEnd ?? c.page ?? 0)));
        pages += pageCount.get(pdf.name)!;
      }
      oneThread.push(pages / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      await Promise.all(pdfs.map((pdf) => pool.parse(pdf.bytes, pdf.name, { timeoutMs: 600_000 })));
      inPool.push(pages / ((performance.now() - t0) / 1000));
    }
  } finally {
    await pool.close();
  }
  return { pages, oneThread, pool: inPool, poolSize: pool.concurrency };
}

export { median };
