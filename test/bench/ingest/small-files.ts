/**
 * askdocs on the many-small-files corpus: the real ingest command as users run it
 * (`npm run ingest`: the compiled `dist/`, which `npm run bench:ingest` builds first) in a
 * child process against an instant fake provider (NIM_RPM high enough never to pace), with
 * its wall time, the chunks it wrote and its peak RSS. Run from the sources through tsx,
 * the command and each parse worker spent seconds compiling TypeScript first.
 */
import path from "node:path";
import type { FakeProvider } from "../../fake-provider/index.js";
import { REPO_ROOT, ingestEnv } from "../../helpers/ingest-cli.js";
import { runMeasured } from "./peak-rss.js";

export async function runAskdocsIngest(fake: FakeProvider, corpus: string, root: string, run: number): Promise<{ wallMs: number; chunks: number; peakRss: number | undefined; output: string }> {
  const env = ingestEnv(fake, path.join(root, `askdocs-db-${run}`), { NIM_RPM: "100000" });
  const { code, wallMs, peakRss, output } = await runMeasured(["dist/ingest/command.js", corpus], { cwd: REPO_ROOT, env });
  if (code !== 0) throw new Error(`askdocs ingest exited ${code}:\n${output.slice(-3000)}`);
  const chunks = Number(/chunks: (\d+) written/.exec(output)?.[1]);
  return { wallMs, chunks, peakRss, output };
}
