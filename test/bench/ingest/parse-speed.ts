/**
 * PDF parsing speed on the long PDFs: one thread (the loader in this thread, one file
 * after another) against the worker pool (all files at once), in one run.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { loadDocument } from "../../../ingest/loaders/index.js";
import { createParsePool } from "../../../ingest/node/parse-pool.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureParsing(dir: string, runs: number): Promise<{ pages: number; oneThread: number[]; pool: number[]; poolSize: number }> {
  const pdfs = await Promise.all((await readdir(dir)).filter((n) => n.endsWith(".pdf")).sort().map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(dir, name))) })));
  const pool = createParsePool();
  const oneThread: number[] = [];
  const inPool: number[] = [];
  let pages = 0;
  try {
    // Warm the pool's workers (thread start, module loading) before timing it.
    await Promise.all(pdfs.slice(0, pool.concurrency).map((p) => pool.parse(p.bytes, p.name, { timeoutMs: 600_000 })));
    for (let run = 0; run < runs; run++) {
      let t0 = performance.now();
      pages = 0;
      for (const pdf of pdfs) pages += (await loadDocument(pdf.bytes, pdf.name, { timeoutMs: 600_000 })).pages ?? 0;
      oneThread.push(pages / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      const docs = await Promise.all(pdfs.map((pdf) => pool.parse(pdf.bytes, pdf.name, { timeoutMs: 600_000 })));
      inPool.push(docs.reduce((n, d) => n + (d.pages ?? 0), 0) / ((performance.now() - t0) / 1000));
    }
  } finally {
    await pool.close();
  }
  return { pages, oneThread, pool: inPool, poolSize: pool.concurrency };
}

export { median };
