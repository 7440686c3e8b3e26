/**
 * A small metrics registry rendered in Prometheus text format (version 0.0.4): counters,
 * gauges set at scrape time, and histograms with fixed buckets. One registry per runtime,
 * no globals; no Node-only imports, so the Worker can serve it too.
 */
export type Labels = Record<string, string>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}
export interface Gauge {
  set(labels: Labels, value: number): void;
  /** Drops every series (before a scrape re-sets the current ones). */
  reset(): void;
}
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

export interface Metrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram;
  /** Runs before each render (store sizes and other values read on demand). */
  onScrape(collect: () => Promise<void>): void;
  render(): Promise<string>;
}

/** Seconds: from a cached keyword search to a slow chat answer. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels: Labels, extra?: [string, string]) => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) pairs.push(`${extra[0]}="${extra[1]}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
};
const number = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : "-Inf");

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  lines(): string[];
  api?: unknown;
}

export function createMetrics(): Metrics {
  const families = new Map<string, Family>();
  const collectors: (() => Promise<void>)[] = [];

  /** A second registration of a name returns the first one's series (two apps over one runtime share them). */
  function register<T>(family: Family, api: T): T {
    const existing = families.get(family.name);
    if (existing) {
      if (existing.type !== family.type) throw new Error(`Metric ${family.name} is already a ${existing.type}`);
      return existing.api as T;
    }
    families.set(family.name, { ...family, api });
    return api;
  }

  function series(name: string, help: string, type: "counter" | "gauge") {
    const values = new Map<string, { labels: Labels; value: number }>();
    const family: Family = { name, help, type, lines: () => [...values.values()].map((s) => `${name}${labelText(s.labels)} ${number(s.value)}`) };
    return { family, values };
  }

  return {
    counter(name, help) {
      const { family, values } = series(name, help, "counter");
      return register(family, {
        inc(labels = {}, by = 1) {
          const k = key(labels);
          const s = values.get(k) ?? { labels, value: 0 };
          s.value += by;
          values.set(k, s);
        },
      });
    },
    gauge(name, help) {
      const { family, values } = series(name, help, "gauge");
      return register(family, {
        set: (labels, value) => void values.set(key(labels), { labels, value }),
        reset: () => values.clear(),
      });
    },
    histogram(name, help, buckets = LATENCY_BUCKETS) {
      const values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
      const family: Family = {
        name,
        help,
        type: "histogram",
        lines: () =>
          [...values.values()].flatMap((s) => [
            ...buckets.map((le, i) => `${name}_bucket${labelText(s.labels, ["le", number(le)])} ${s.counts[i]}`),
            `${name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.count}`,
            `${name}_sum${labelText(s.labels)} ${s.sum}`,
            `${name}_count${labelText(s.labels)} ${s.count}`,
          ]),
      };
      return register(family, {
        observe(labels, value) {
          const k = key(labels);
          const s = values.get(k) ?? { labels, counts: buckets.map(() => 0), sum: 0, count: 0 };
          buckets.forEach((le, i) => {
            if (value <= le) s.counts[i]! += 1;
          });
          s.sum += value;
          s.count += 1;
          values.set(k, s);
        },
      });
    },
    onScrape(collect) {
      collectors.push(collect);
    },
    async render() {
      await Promise.all(collectors.map((collect) => collect()));
      const out: string[] = [];
      for (const f of families.values()) out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines());
      return `${out.join("\n")}\n`;
    },
  };
}
