/**
 * Peak resident memory of a child process, for benchmarks: Linux's VmHWM from
 * /proc/<pid>/status, sampled until the process ends (undefined elsewhere).
 */
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
