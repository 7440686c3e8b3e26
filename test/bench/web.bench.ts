/**
 * Web page benchmark (a plain script, not a vitest suite):
 *
 *   npm run bench:web [-- --runs 20]
 *
 * 1. Page weight: the HTML, script and stylesheet as the server sends them to a browser
 *    that accepts gzip (bytes on the wire), and uncompressed. Target: under 100 KB gzip.
 * 2. Time to interactive on the local server, in headless Chromium: from navigation start
 *    to the page's own `askdocs:ready` mark (the collections and models are loaded and
 *    every control works), in a fresh browser context each run (cold cache); plus
 *    DOMContentLoaded and the load event. Medians of `--runs`.
 *
 * The server is the real one (child process) against the fake provider on loopback, with
 * an empty database. Without Chromium, step 2 is skipped with a note on how to install it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { get } from "node:http";
import { startFakeProvider } from "../fake-provider/index.js";
import { INSTALL_HINT, findChromium, launchChromium } from "../helpers/browser.js";
import { childEnv, startServer } from "../helpers/server.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" } } });
const runs = Number(values.runs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** Body bytes as sent (node:http does not decode, unlike fetch). */
function onTheWire(url: string): Promise<{ wire: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { "accept-encoding": "gzip" } }, (response) => {
      let wire = 0;
      response.on("data", (chunk: Buffer) => (wire += chunk.length));
      response.on("end", () => resolve({ wire, encoding: String(response.headers["content-encoding"] ?? "identity") }));
    }).on("error", reject);
  });
}
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const fake = await startFakeProvider({ flavor: "nim" });
const root = await mkdtemp(path.join(tmpdir(), "askdocs-web-bench-"));
const server = await startServer(childEnv(fake, path.join(root, "db")));
try {
  const html = await fetch(server.url, { headers: { "accept-encoding": "gzip" } });
  const page = await html.text();
  const assets = [...page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  const rows: { name: string; raw: number; wire: number; encoding: string }[] = [];
  for (const [name, url] of [["page (HTML)", "/"], ...assets.map((a) => [a.split("?")[0]!, a])] as [string, string][]) {
    const { wire, encoding } = await onTheWire(server.url + url);
    const raw = (await (await fetch(server.url + url, { headers: { "accept-encoding": "identity" } })).arrayBuffer()).byteLength;
    rows.push({ name, raw, wire, encoding });
  }
  console.log("Page weight (as served to a browser accepting gzip):");
  for (const r of rows) console.log(`  ${r.name.padEnd(18)} ${kb(r.raw).padStart(9)} raw  ${kb(r.wire).padStart(8)} ${r.encoding}`);
  const total = rows.reduce((n, r) => n + r.wire, 0);
  console.log(`  ${"total".padEnd(18)} ${kb(rows.reduce((n, r) => n + r.raw, 0)).padStart(9)} raw  ${kb(total).padStart(8)} on the wire  (target < 100 KB: ${total < 100 * 1024 ? "met" : "NOT met"})`);

  const chromium = findChromium();
  if (!chromium) {
    console.log(`\nTime to interactive: skipped, no Chromium found; ${INSTALL_HINT}.`);
  } else {
    const browser = await launchChromium(chromium);
    const ready: number[] = [];
    const dcl: number[] = [];
    const load: number[] = [];
    try {
      for (let i = 0; i < runs + 1; i++) {
        const context = await browser.newContext();
        const tab = await context.newPage();
        await tab.goto(server.url, { waitUntil: "load" });
        await tab.waitForSelector("html[data-ready]");
        const t = await tab.evaluate(() => {
          const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
          return { ready: performance.getEntriesByName("askdocs:ready")[0]!.startTime, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
        });
        await context.close();
        if (i === 0) continue; // warm-up: the server's first request compiles its routes
        ready.push(t.ready);
        dcl.push(t.dcl);
        load.push(t.load);
      }
    } finally {
      await browser.close();
    }
    console.log(`\nTime to interactive, headless Chromium, local server, cold cache, median of ${runs}:`);
    console.log(
      `  DOMContentLoaded ${median(dcl).toFixed(1)} ms · load ${median(load).toFixed(1)} ms · interactive (askdocs:ready) ${median(ready).toFixed(1)} ms (min ${Math.min(...ready).toFixed(1)}, max ${Math.max(...ready).toFixed(1)})`,
    );
  }
} finally {
  await server.stop();
  await fake.close();
  await rm(root, { recursive: true, force: true });
}
