/** Runs `use` with a parser (a worker pool, usually) and closes it afterwards, whatever happens. */
import type { DocumentParser } from "../../ingest/document-parser.js";

export async function withParser<T>(parser: DocumentParser, use: (parser: DocumentParser) => Promise<T>): Promise<T> {
  try {
    return await use(parser);
  } finally {
    await parser.close();
  }
}
