/**
 * The many-small-files corpus: every paragraph of the English and Chinese QA sets
 * (../shared/data/qa, else test/fixtures/qa; CC BY-SA 4.0) cut into pieces of a few
 * sentences, one file per piece (alternately .md and .txt), plus the long PDFs
 * (../shared/data/long-pdfs: ten 10-Qs). Issue 9's corpus.
 */
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

interface Squad {
  data: Array<{ title: string; paragraphs: Array<{ context: string }> }>;
}

/** Sentences grouped to about `size` characters. */
function pieces(text: string, size: number): string[] {
  const sentences = text.match(/[^.!?。！？]+[.!?。！？]+["”’]?\s*|[^.!?。！？]+$/g) ?? [text];
  const out: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    if (current && current.length + sentence.length > size) {
      out.push(current.trim());
      current = "";
    }
    current += sentence;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

export async function writeSmallFilesCorpus(dir: string, options: { minFiles: number; qaDir: string; pdfDir: string }): Promise<{ files: number; smallFiles: number; pdfs: number }> {
  await mkdir(dir, { recursive: true });
  const paragraphs: { title: string; text: string }[] = [];
  for (const set of (await readdir(options.qaDir)).filter((n) => n.endsWith(".json")).sort()) {
    const squad = JSON.parse(await readFile(path.join(options.qaDir, set), "utf8")) as Squad;
    for (const article of squad.data) for (const p of article.paragraphs) paragraphs.push({ title: article.title.replace(/_/g, " "), text: p.context.trim() });
  }
  // The piece size that yields at least minFiles files.
  let size = 600;
  let all: { title: string; text: string }[] = [];
  for (; size >= 100; size -= 50) {
    all = paragraphs.flatMap((p) => pieces(p.text, size).map((text) => ({ title: p.title, text })));
    if (all.length >= options.minFiles) break;
  }
  for (const [i, piece] of all.entries()) {
    const name = `piece-${String(i).padStart(5, "0")}`;
    await writeFile(path.join(dir, i % 2 ? `${name}.txt` : `${name}.md`), i % 2 ? `${piece.text}\n` : `# ${piece.title}\n\n${piece.text}\n`);
  }
  const pdfs = (await readdir(options.pdfDir)).filter((n) => n.endsWith(".pdf"));
  for (const name of pdfs) await copyFile(path.join(options.pdfDir, name), path.join(dir, name));
  return { files: all.length + pdfs.length, smallFiles: all.length, pdfs: pdfs.length };
}
