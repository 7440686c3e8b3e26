/**
 * What each door costs over `/v1/ask` (a plain script, not a vitest suite):
 *
 *   npm run bench:doors [-- --runs 60]
 *
 * The app runs in this process on 127.0.0.1 over a temp LanceDB holding data/samples (the
 * repository's own documents, no ../shared needed), the fake NIM answering at once. The same
 * question goes, one request at a time, through `/v1/ask`, the OpenAI-compatible API (via the
 * real `openai` client), the Anthropic-compatible API (`@anthropic-ai/sdk`) and MCP over
 * Streamable HTTP (the SDK's client), not streamed and streamed; it prints the median
 * milliseconds of each and its ratio to `/v1/ask` in the same mode. Each round runs every
 * door once, in a shuffled (seeded) order, so that a busy machine and run order weigh on them alike.
 */
import { parseArgs } from "node:util";
import Anthropic from "@anthropic-ai/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import OpenAI from "openai";
import { API_KEY, startCompatServer } from "../helpers/compat-server.js";
import { readSse } from "../helpers/server.js";
import { prng } from "./vectors.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "60" } } });
const RUNS = Number(values.runs);
const QUESTION = "Why are there two high tides a day?";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const server = await startCompatServer();
  const openai = new OpenAI({ baseURL: `${server.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: `${server.url}/anthropic`, apiKey: API_KEY, maxRetries: 0 });
  const mcp = new Client({ name: "bench", version: "1.0.0" });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${API_KEY}` } } }));
  const ask = (stream: boolean) =>
    fetch(`${server.url}/v1/ask`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ question: QUESTION, stream }) });

  const doors: Record<string, () => Promise<unknown>> = {
    "/v1/ask": async () => (await ask(false)).json(),
    "openai chat.completions": () => openai.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }] }),
    "anthropic messages": () => anthropic.messages.create({ model: "default", max_tokens: 512, messages: [{ role: "user", content: QUESTION }] }),
    "mcp ask (HTTP)": () => mcp.callTool({ name: "ask", arguments: { question: QUESTION } }),
    "/v1/ask stream": async () => {
      for await (const _event of readSse(await ask(true))) {
        // read to the end
      }
    },
    "openai stream": async () => {
      for await (const _chunk of await openai.chat.completions.create({ model: "default", messages: [{ role: "user", content: QUESTION }], stream: true })) {
        // read to the end
      }
    },
    "anthropic stream": async () => {
      for await (const _event of await anthropic.messages.create({ model: "default", max_tokens: 512, messages: [{ role: "user", content: QUESTION }], stream: true })) {
        // read to the end
      }
    },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(doors).map((name) => [name, []]));
  for (const run of Object.values(doors)) await run(); // warm-up
  const random = prng(11);
  for (let i = 0; i < RUNS; i++) {
    const order = Object.entries(doors)
      .map((door) => ({ door, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ door }) => door);
    for (const [name, run] of order) {
      const started = performance.now();
      await run();
      times[name]!.push(performance.now() - started);
    }
  }
  const base = { plain: median(times["/v1/ask"]!), stream: median(times["/v1/ask stream"]!) };
  console.log(`doors, ${RUNS} requests each, median ms (ratio to /v1/ask in the same mode)`);
  for (const [name, xs] of Object.entries(times)) {
    const ref = name.includes("stream") ? base.stream : base.plain;
    console.log(`${name.padEnd(24)} ${median(xs).toFixed(1).padStart(7)} ms  x${(median(xs) / ref).toFixed(2)}`);
  }
  await mcp.close();
  await server.close();
}

await main();
