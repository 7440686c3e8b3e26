/**
 * Peak resident memory of a child process, for benchmarks: Linux's VmHWM from
 * /proc/<pid>/status, sampled until the process ends (undefined elsewhere), and a
 * child run measured with it.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

export function watchPeakRss(pid: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kb) peak = Math.max(peak ?? 0, Number(kb) * 1024);
  };
  const timer = setInterval(() => void sample(), 100);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Runs a child process to its end: its wall time, peak RSS, exit code and combined output. */
export async function runMeasured(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; wallMs: number; peakRss: number | undefined; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: options.cwd, ...(options.env ? { env: options.env } : {}), stdio: ["ignore", "pipe", "pipe"] });
  const rss = watchPeakRss(child.pid!);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (output += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (output += t));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, wallMs: performance.now() - started, peakRss: rss.stop(), output };
}
