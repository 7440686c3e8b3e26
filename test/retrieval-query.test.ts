import { describe, expect, it } from "vitest";
import { MAX_QUERY_CHARS, retrievalQuery } from "../src/answer/retrieval-query.js";
import type { ChatMessage } from "../src/providers/chat.js";

/** The chat doors' retrieval query: the last user turn, with the previous one when it refers back. */
const history = (...turns: string[]): ChatMessage[] => turns.map((content, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content }));

describe("retrievalQuery", () => {
  it("is the question itself when there is no earlier user turn", () => {
    expect(retrievalQuery("and in 2023?", [])).toBe("and in 2023?");
    expect(retrievalQuery("and in 2023?", [{ role: "assistant", content: "Hello!" }])).toBe("and in 2023?");
  });

  it("prepends the previous user turn to an elliptical, short or pronoun follow-up", () => {
    const earlier = history("What was the company's revenue in 2022?", "It was 3 million [1].");
    expect(retrievalQuery("and in 2023?", earlier)).toBe("What was the company's revenue in 2022?\nand in 2023?");
    expect(retrievalQuery("What about its profit margin over the same period?", earlier)).toMatch(/^What was the company's revenue in 2022\?\n/);
    expect(retrievalQuery("How did they explain the change in the annual report?", earlier)).toMatch(/^What was the company's revenue in 2022\?\n/);
    const zh = history("陆羽写了哪本关于茶的书？", "《茶经》[1]。");
    expect(retrievalQuery("那它是哪一年写成的？", zh)).toBe("陆羽写了哪本关于茶的书？\n那它是哪一年写成的？");
  });

  it("uses the latest user turn, and leaves a question that stands alone as it is", () => {
    const earlier = history("What are spring tides?", "Large tides [1].", "What are neap tides?", "Small tides [2].");
    expect(retrievalQuery("why?", earlier)).toBe("What are neap tides?\nwhy?");
    expect(retrievalQuery("Who wrote the classic book about tea during the Tang dynasty?", earlier)).toBe("Who wrote the classic book about tea during the Tang dynasty?");
    expect(retrievalQuery("唐代陆羽撰写的茶学专著叫什么名字，成书于哪一年？", earlier)).toBe("唐代陆羽撰写的茶学专著叫什么名字，成书于哪一年？");
  });

  it("keeps the head of a pasted wall of text", () => {
    const pasted = "word ".repeat(5000);
    expect(retrievalQuery(pasted, [])).toHaveLength(MAX_QUERY_CHARS);
  });
});
