/**
 * Questions while uploads run, in one real server (`src/node.ts`) with NIM_RPM=40 and a
 * fake NIM at `latencyMs` per request. Ask overhead = the ask's time as the server logs it
 * minus the fake's own time (arrival to last byte) for the ask's two calls (embedding,
 * chat), matched by X-Request-Id: on 2 cores the fake computing the upload's embeddings
 * slows its own answers, which a remote NIM would not, and that is the fake's time, not
 * askdocs'. The client's wall time is reported beside it. Idle: asks one after another on a
 * fresh server. Under load: asks sent while a ~1,000-chunk upload is embedding, on a
 * fresh server (the rolling minute starts empty). Then `/health` latency, polled while a
 * 500-page PDF is uploaded and parsed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { type FakeProvider, startFakeProvider } from "../../fake-provider/index.js";
import { FIXTURES } from "../../helpers/ingest-data.js";
import { type RunningServer, childEnv, startServer } from "../../helpers/server.js";

export interface AskUnderLoad {
  idle: AskTiming[];
  loaded: AskTiming[];
  uploadChunks: number;
  /** Loaded asks answered before the upload finished. */
  answeredMidUpload: number;
  healthMs: number[];
  pdfPages: number;
}

export interface AskTiming {
  /** Wall time at the client. */
  wallMs: number;
  /** The server's own time: its logged time minus the fake's time for the ask's calls. */
  overheadMs: number;
}

async function ask(server: RunningServer, fake: FakeProvider, question: string): Promise<AskTiming> {
  const id = `bench-ask-${crypto.randomUUID()}`;
  const t0 = performance.now();
  const response = await fetch(`${server.url}/v1/ask`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": id }, body: JSON.stringify({ question, collection: "bench" }) });
  if (response.status !== 200) throw new Error(`ask: HTTP ${response.status} ${await response.text()}`);
  await response.json();
  const wallMs = performance.now() - t0;
  // The log line can trail the response through the child's stdout pipe.
  const logged = new RegExp(`ms=(\\d+) request_id=${id}\\b`);
  for (let wait = 0; !logged.test(server.log) && wait < 100; wait++) await new Promise((r) => setTimeout(r, 10));
  const serverMs = Number(logged.exec(server.log)?.[1] ?? Number.NaN);
  const calls = fake.requests.filter((r) => r.headers["x-request-id"] === id);
  if (calls.length !== 2 || calls.some((r) => r.ms === undefined)) throw new Error(`ask ${id}: expected 2 finished provider calls, saw ${calls.length}`);
  return { wallMs, overheadMs: serverMs - calls.reduce((sum, r) => sum + r.ms!, 0) };
}

function upload(server: RunningServer, name: string, bytes: Uint8Array, type: string): Promise<{ status: number; body: { chunks?: number } }> {
  const form = new FormData();
  form.set("file", new File([bytes.slice()], name, { type }));
  form.set("collection", "bench");
  return fetch(`${server.url}/v1/documents`, { method: "POST", body: form }).then(async (r) => ({ status: r.status, body: (await r.json()) as { chunks?: number } }));
}

/** About 1,000 chunks of real prose: the English articles, 14 times with numbered variations (456 chunks per 6). */
async function bigMarkdown(): Promise<Uint8Array> {
  const squad = JSON.parse(await readFile(path.join(FIXTURES, "qa", "xquad-part1.en.json"), "utf8")) as { data: { title: string; paragraphs: { context: string }[] }[] };
  const parts: string[] = [];
  for (let copy = 0; copy < 14; copy++) {
    for (const article of squad.data) parts.push(`## ${article.title} (${copy + 1})\n\n${article.paragraphs.map((p) => `${p.context} [${copy}]`).join("\n\n")}`);
  }
  return new TextEncoder().encode(`# Reading list\n\n${parts.join("\n\n")}\n`);
}

async function bigPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = pdf.addPage([600, 800]);
    for (let line = 0; line < 50; line++)
      page.drawText(`Page ${p + 1}, line ${line + 1}: the harbour master logged a tide of ${(p * 50 + line) % 400} cm at berth ${line % 12}.`, { x: 24, y: 770 - line * 15, size: 10, font });
  }
  return pdf.save();
}

async function withServer<T>(fake: FakeProvider, root: string, name: string, body: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer(childEnv(fake, path.join(root, name), { NIM_RPM: "40", REQUEST_QUEUE_WAIT_MS: "30000" }));
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

export async function measureAskUnderLoad(root: string, options: { latencyMs: number; asks: number; runs: number }): Promise<AskUnderLoad> {
  const fake = await startFakeProvider({ flavor: "nim", latencyMs: options.latencyMs });
  const questions = [
    "When did the harbour master log the highest tide?",
    "What does the reading list say about the Super Bowl?",
    "Which berth had the lowest tide?",
    "Who wrote the reading list?",
    "How are the articles numbered?",
  ];
  const markdown = await bigMarkdown();
  try {
    // A small document so that questions have something to retrieve (and a chat call to make).
    const seed = new TextEncoder().encode("# Harbour log\n\nThe harbour master logged the highest tide, 391 cm, at berth 7.\n");
    const idle = await withServer(fake, root, "idle-db", async (server) => {
      await upload(server, "harbour-log.md", seed, "text/markdown");
      const out: AskTiming[] = [];
      for (let i = 0; i < options.asks; i++) out.push(await ask(server, fake, questions[i % questions.length]!));
      return out;
    });

    // Three asks per upload (the rolling minute has room for the upload's 34 batches and
    // about three asks), on a fresh server each run.
    const loaded = { out: [] as AskTiming[], chunks: 0, midUpload: 0 };
    for (let run = 0; run < options.runs; run++) {
      await withServer(fake, root, `load-db-${run}`, async (server) => {
        await upload(server, "harbour-log.md", seed, "text/markdown");
        fake.reset();
        let uploadDone = false;
        const uploading = upload(server, "reading-list.md", markdown, "text/markdown").finally(() => (uploadDone = true));
        // Ask once the upload's embedding requests are flowing.
        while (fake.requests.filter((r) => r.path.endsWith("/embeddings")).length < 3) await new Promise((r) => setTimeout(r, 20));
        for (let i = 0; i < 3; i++) {
          loaded.out.push(await ask(server, fake, questions[i]!));
          if (!uploadDone) loaded.midUpload++;
        }
        const done = await uploading;
        if (done.status !== 201) throw new Error(`upload: HTTP ${done.status}`);
        loaded.chunks = done.body.chunks ?? 0;
      });
    }

    const pdfPages = 500;
    const pdf = await bigPdf(pdfPages);
    const healthMs = await withServer(fake, root, "health-db", async (server) => {
      const times: number[] = [];
      let finished = false;
      const uploading = upload(server, "logbook.pdf", pdf, "application/pdf").finally(() => (finished = true));
      while (!finished) {
        const t0 = performance.now();
        await (await fetch(`${server.url}/health`)).json();
        times.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
      const done = await uploading;
      if (done.status !== 201) throw new Error(`PDF upload: HTTP ${done.status}`);
      return times;
    });
    return { idle, loaded: loaded.out, uploadChunks: loaded.chunks, answeredMidUpload: loaded.midUpload, healthMs, pdfPages };
  } finally {
    await fake.close();
  }
}
