import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { detectFormat } from "./loaders/index.js";
import type { SourceFile } from "./pipeline.js";

/**
 * Turns the command's arguments (files, folders, globs) into the list of files to
 * ingest, walking folders recursively. Hidden files and unsupported types are
 * reported as skipped with a reason, never silently dropped.
 */
export interface FoundFile {
  /** Absolute path with forward slashes: the document's identity. */
  source: string;
  size: number;
}

export interface SkippedFile {
  source: string;
  reason: string;
}

export interface Discovery {
  files: FoundFile[];
  skipped: SkippedFile[];
  /** Arguments that matched nothing. */
  missing: string[];
}

const toPosix = (p: string) => p.split(path.sep).join("/");
const isHidden = (p: string) => p.split("/").some((part) => part.startsWith(".") && part !== "." && part !== "..");

export async function discoverFiles(inputs: string[], cwd = process.cwd()): Promise<Discovery> {
  const seen = new Set<string>();
  const found: Discovery = { files: [], skipped: [], missing: [] };

  const consider = async (absolute: string) => {
    const source = toPosix(absolute);
    if (seen.has(source)) return;
    seen.add(source);
    if (!detectFormat(absolute)) {
      found.skipped.push({ source, reason: `unsupported type (${path.extname(absolute) || "no extension"}); supported: .pdf .md .markdown .html .htm .txt .text` });
      return;
    }
    const info = await stat(absolute);
    found.files.push({ source, size: info.size });
  };

  for (const input of inputs) {
    const absolute = path.resolve(cwd, input);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isFile()) {
      await consider(absolute);
      continue;
    }
    const [base, pattern] = info?.isDirectory() ? [absolute, "**/*"] : isDynamicPattern(input) ? [cwd, input] : [];
    if (!base || !pattern) {
      found.missing.push(input);
      continue;
    }
    // Hidden entries are listed too, so that they can be reported as skipped.
    const matches = await glob(pattern, { cwd: base, absolute: true, dot: true, onlyFiles: true, followSymbolicLinks: false });
    if (matches.length === 0) found.missing.push(input);
    for (const match of matches.sort()) {
      if (isHidden(toPosix(path.relative(base, match)))) {
        const source = toPosix(path.resolve(match));
        if (!seen.has(source)) found.skipped.push({ source, reason: "hidden file" });
        seen.add(source);
        continue;
      }
      await consider(path.resolve(match));
    }
  }
  return found;
}

/** Found files as the pipeline reads them: bytes on demand, one file at a time. */
export function sourceFiles(files: FoundFile[]): SourceFile[] {
  return files.map((f) => ({ source: f.source, size: f.size, read: () => readFile(f.source).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) }));
}
