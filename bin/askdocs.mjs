#!/usr/bin/env node
// `askdocs ingest …`, `askdocs serve` and `askdocs mcp` (MCP over stdio): runs the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
const [command, ...rest] = process.argv.slice(2);
if (command === "ingest") {
  const { runIngest } = await import("../ingest/command.ts");
  process.exitCode = await runIngest(rest, process.env);
} else if (command === "serve" || command === "start") {
  await import("../src/node.ts");
} else if (command === "mcp") {
  await import("../src/mcp-stdio.ts");
} else {
  console.error("usage: askdocs ingest <file|folder|glob>... [--collection NAME] [--prune] [--dry-run]\n       askdocs serve\n       askdocs mcp    (MCP server on stdio)");
  process.exitCode = 2;
}
