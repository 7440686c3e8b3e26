/**
 * askdocs as an MCP server: four read-only tools over a Runtime (`search`, `ask`,
 * `list_collections`, `list_documents`), each a thin adapter like the HTTP routes, with
 * the same public shapes (src/http/present.ts) as `structuredContent` and a readable text
 * version for clients that show only text. The transport is the caller's: stdio
 * (src/mcp-stdio.ts) or Streamable HTTP at `/mcp` (src/http/routes/mcp.ts).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AppError } from "../errors.js";
import { type Citation, describeSource, presentCitations, presentCollection, presentDocument, presentHit, sourcesList } from "../http/present.js";
import { chatModel, collectionName, mode, question, topK } from "../http/schemas.js";
import type { Runtime } from "../runtime/runtime.js";

const SERVER_INFO = { name: "askdocs", version: "0.1.0" };

const INSTRUCTIONS =
  "askdocs answers questions from the user's own documents, grouped in collections. Use `list_collections` to see what exists, " +
  "`search` to read the passages that match a query (with source, page and heading), and `ask` for a grounded answer that cites them as [n].";

function reply(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/** A tool whose failure is a result the model can read: askdocs's own errors as they are, anything else without details. */
function guarded<A extends unknown[]>(rt: Runtime, tool: string, run: (...args: A) => Promise<CallToolResult>) {
  return async (...args: A): Promise<CallToolResult> => {
    try {
      return await run(...args);
    } catch (error) {
      if (error instanceof AppError) return { isError: true, content: [{ type: "text", text: error.message }] };
      rt.logger.error("mcp tool failed", { tool, error: error instanceof Error ? error.message : String(error) });
      return { isError: true, content: [{ type: "text", text: "askdocs failed to run this tool (see its log)." }] };
    }
  };
}

export function createMcpServer(rt: Runtime): McpServer {
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
  const readOnly = { readOnlyHint: true, openWorldHint: false };

  server.registerTool(
    "search",
    {
      title: "Search documents",
      description: "Find the passages of a collection that best match a query (hybrid vector + keyword search by default). Returns each passage's text with its source file, title, page, heading and score, best first.",
      inputSchema: {
        query: question.describe("What to look for: a question or keywords"),
        collection: collectionName.describe("Collection to search (see list_collections)"),
        top_k: topK.describe("How many passages (1-50)"),
        mode: mode.describe("hybrid (default when embeddings are configured), vector or keyword"),
      },
      annotations: { title: "Search documents", ...readOnly },
    },
    guarded(rt, "search", async (args, extra) => {
      const retrieval = await rt.search({ query: args.query, collection: args.collection, topK: args.top_k, mode: args.mode, signal: extra.signal });
      const results = retrieval.hits.map(presentHit);
      const text = results.length === 0 ? `No passages in "${args.collection}" match.` : results.map((r, i) => `[${i + 1}] ${describeSource(r)} (score ${r.score})\n${r.text}`).join("\n\n");
      return reply(text, { results, mode: retrieval.mode });
    }),
  );

  server.registerTool(
    "ask",
    {
      title: "Ask the documents",
      description:
        "Answer a question from a collection's documents only. The answer cites passages as [n] and ends with the list of sources; `citations` holds every passage given to the model (source, title, page, heading, text), marked when cited.",
      inputSchema: {
        question: question.describe("The question, in any language"),
        collection: collectionName.describe("Collection to answer from (see list_collections)"),
        top_k: topK.describe("Passages to retrieve before answering (1-50)"),
        model: chatModel,
      },
      annotations: { title: "Ask the documents", ...readOnly },
    },
    guarded(rt, "ask", async (args, extra) => {
      const events = rt.answer({ question: args.question, collection: args.collection, topK: args.top_k, model: args.model, stream: false, signal: extra.signal });
      let citations: Citation[] = [];
      for await (const event of events) {
        if (event.type === "error") throw event.error;
        if (event.type === "retrieval") citations = presentCitations(event.passages, []);
        if (event.type === "done") {
          const cited = citations.map((c) => ({ ...c, cited: event.cited.includes(c.n) }));
          return reply(event.answer + sourcesList(cited), { answer: event.answer, citations: cited, ...(event.reasoning ? { reasoning: event.reasoning } : {}) });
        }
      }
      // The answer ends without `done` only when the request was cancelled.
      return { isError: true, content: [{ type: "text", text: "Cancelled." }] };
    }),
  );

  server.registerTool(
    "list_collections",
    {
      title: "List collections",
      description: "List the document collections askdocs can search, with their document and chunk counts and embedding model.",
      inputSchema: {},
      annotations: { title: "List collections", ...readOnly },
    },
    guarded(rt, "list_collections", async () => {
      const collections = (await rt.store.listCollections()).map(presentCollection);
      const text = collections.length === 0 ? "No collections yet: ingest documents first." : collections.map((c) => `${c.name}: ${c.documents} documents, ${c.chunks} chunks`).join("\n");
      return reply(text, { collections });
    }),
  );

  server.registerTool(
    "list_documents",
    {
      title: "List documents",
      description: "List the documents in a collection: source file, title, chunk count and when each was ingested.",
      inputSchema: { collection: collectionName.describe("Collection to list (see list_collections)") },
      annotations: { title: "List documents", ...readOnly },
    },
    guarded(rt, "list_documents", async (args) => {
      const docs = await (await rt.store.openExistingCollection(args.collection)).listDocuments();
      const originals = await Promise.all(docs.map((d) => rt.blobs?.head(args.collection, d.documentId)));
      const documents = docs.map((d, i) => presentDocument(d, originals[i]));
      const text = documents.length === 0 ? `"${args.collection}" holds no documents.` : documents.map((d) => `${d.source}${d.title && d.title !== d.source ? ` (${d.title})` : ""}: ${d.chunks} chunks`).join("\n");
      return reply(text, { collection: args.collection, documents });
    }),
  );

  return server;
}
