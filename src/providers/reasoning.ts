/**
 * Keeps a reasoning model's thinking apart from its answer when it arrives inside
 * `content`: `<think>…</think>` at the start, or (some models) only a closing
 * `</think>` after the reasoning. Works chunk by chunk: tags may be split across deltas.
 */
export interface SplitText {
  answer: string;
  reasoning: string;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/** Length of the longest suffix of `text` that could be the start of `tag`. */
function partialTagLength(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

export interface ThinkSplitterOptions {
  /**
   * Hold text back until `</think>` or the end, for models that may omit the opening
   * tag (a lone `</think>` turns everything before it into reasoning). Checked when the
   * first content arrives. Default false: text streams as answer at once.
   */
  holdUntilClose?: () => boolean;
}

export interface ThinkSplitter {
  push(text: string): SplitText;
  flush(): SplitText;
}

export function createThinkSplitter(options: ThinkSplitterOptions = {}): ThinkSplitter {
  let state: "start" | "think" | "pending" | "answer" = "start";
  let buffer = "";
  let answerStarted = false;
  let out: SplitText = { answer: "", reasoning: "" };

  const emitAnswer = (text: string) => {
    // Models put blank lines after </think>: the answer starts at its first visible character.
    if (!answerStarted) {
      text = text.replace(/^\s+/, "");
      if (text) answerStarted = true;
    }
    out.answer += text;
  };

  function step(final: boolean) {
    for (;;) {
      if (state === "start") {
        const lead = buffer.trimStart();
        if (lead.startsWith(OPEN)) {
          buffer = lead.slice(OPEN.length);
          state = "think";
          continue;
        }
        if (!final && OPEN.startsWith(lead)) return; // may still become <think>
        state = options.holdUntilClose?.() ? "pending" : "answer";
        continue;
      }
      const close = buffer.indexOf(CLOSE);
      if (state === "think" || state === "pending") {
        if (close >= 0) {
          out.reasoning += buffer.slice(0, close);
          buffer = buffer.slice(close + CLOSE.length);
          state = "answer";
          continue;
        }
        if (final) {
          if (state === "think") out.reasoning += buffer;
          else emitAnswer(buffer);
          buffer = "";
        } else if (state === "think") {
          const keep = partialTagLength(buffer, CLOSE);
          out.reasoning += buffer.slice(0, buffer.length - keep);
          buffer = buffer.slice(buffer.length - keep);
        }
        return;
      }
      // answer: a stray </think> here is dropped (what preceded it has already gone out).
      if (close >= 0) {
        emitAnswer(buffer.slice(0, close));
        buffer = buffer.slice(close + CLOSE.length);
        continue;
      }
      const keep = final ? 0 : partialTagLength(buffer, CLOSE);
      emitAnswer(buffer.slice(0, buffer.length - keep));
      buffer = buffer.slice(buffer.length - keep);
      return;
    }
  }

  const take = (): SplitText => {
    const result = out;
    out = { answer: "", reasoning: "" };
    return result;
  };

  return {
    push(text) {
      buffer += text;
      step(false);
      return take();
    },
    flush() {
      step(true);
      return take();
    },
  };
}

/** Splits a complete message's content. */
export function splitThink(content: string): SplitText {
  const splitter = createThinkSplitter({ holdUntilClose: () => true });
  const a = splitter.push(content);
  const b = splitter.flush();
  return { answer: (a.answer + b.answer).trim(), reasoning: (a.reasoning + b.reasoning).trim() };
}
