#!/usr/bin/env node
// `askdocs ingest …` and `askdocs serve`: runs the compiled JavaScript in dist/ (`npm run build`; `npm install` runs it).
const [command, ...rest] = process.argv.slice(2);
if (command === "ingest") {
  const { runIngest } = await import("../dist/ingest/command.js");
  process.exitCode = await runIngest(rest, process.env);
} else if (command === "serve" || command === "start") {
  await import("../dist/src/node.js");
} else {
  console.error("usage: askdocs ingest <file|folder|glob>... [--collection NAME] [--prune] [--dry-run]\n       askdocs serve");
  process.exitCode = 2;
}
