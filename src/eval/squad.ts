import { z } from "zod";

/**
 * SQuAD v1.1-format datasets (XQuAD, CMRC 2018): articles of paragraphs, each with
 * questions and gold answers. An article becomes one Markdown document: its title as
 * the heading, its paragraphs as the body.
 */
export const squadSchema = z.object({
  data: z.array(
    z.object({
      title: z.string(),
      paragraphs: z.array(
        z.object({
          context: z.string(),
          qas: z.array(z.object({ id: z.string(), question: z.string(), answers: z.array(z.object({ text: z.string() })) })),
        }),
      ),
    }),
  ),
});
export type Squad = z.infer<typeof squadSchema>;

export interface EvalQuestion {
  id: string;
  question: string;
  answers: string[];
  /** File name of the article document that holds the answer. */
  article: string;
}

export interface EvalArticle {
  fileName: string;
  markdown: string;
}

/** File names are the article's position plus a safe form of its title: stable across runs. */
function fileNameOf(index: number, title: string): string {
  const safe =
    title
      .replace(/[^\p{L}\p{N}]+/gu, "_")
      .replace(/^_|_$/g, "")
      .slice(0, 60) || "article";
  return `${String(index + 1).padStart(3, "0")}-${safe}.md`;
}

export function articlesOf(squad: Squad): { articles: EvalArticle[]; questions: EvalQuestion[] } {
  const articles: EvalArticle[] = [];
  const questions: EvalQuestion[] = [];
  squad.data.forEach((article, index) => {
    const fileName = fileNameOf(index, article.title);
    const title = article.title.replace(/_/g, " ");
    articles.push({ fileName, markdown: `# ${title}\n\n${article.paragraphs.map((p) => p.context.trim()).join("\n\n")}\n` });
    for (const paragraph of article.paragraphs) {
      for (const qa of paragraph.qas) {
        const answers = [...new Set(qa.answers.map((a) => a.text.trim()).filter(Boolean))];
        if (answers.length > 0) questions.push({ id: qa.id, question: qa.question, answers, article: fileName });
      }
    }
  });
  return { articles, questions };
}

/** Whether `text` holds one of the gold answers (case- and space-insensitive). */
export function containsAnswer(text: string, answers: string[]): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, " ");
  const hay = norm(text);
  return answers.some((a) => hay.includes(norm(a)));
}
