/**
 * The web page in a real headless Chromium against the real server (the fake provider
 * stands in for NIM): upload through the page, ask in English and Chinese, open a
 * cited page, delete, the key prompt, a provider failure, and an axe-core check.
 * Every page must log no console error and send no request beyond 127.0.0.1.
 * Screenshots of the main states land in test/screenshots/ (ignored by git).
 */
import { readFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeProvider, startFakeProvider } from "./fake-provider/index.js";
import { INSTALL_HINT, type Watched, findChromium, launchChromium, seriousViolations, watchedPage } from "./helpers/browser.js";
import { type RunningServer, childEnv, startServer } from "./helpers/server.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** Uploaded under short names: the PDFs of test/fixtures/pdfs (see LICENCES.md) and a note of ours. */
const FILES = {
  "four-pages.pdf": "pdfs/004-pdflatex-4-pages_pdflatex-4-pages.pdf",
  "chinese-credits.pdf": "pdfs/unstructured_simplified_chinese.pdf",
  "harbour-notes.md": "web/harbour-notes.md",
} as const;
const SHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const KEY = "page-test-key";
const chromiumPath = findChromium();
if (!chromiumPath) console.warn(`web page tests skipped: no Chromium found; ${INSTALL_HINT}.`);

describe.skipIf(!chromiumPath)("web page in Chromium", () => {
  let fake: FakeProvider;
  let root: string;
  let server: RunningServer;
  let locked: RunningServer;
  let offline: RunningServer;
  let browser: Browser;
  const opened: Watched[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    fake = await startFakeProvider({ flavor: "nim" });
    root = await mkdtemp(path.join(tmpdir(), "askdocs-web-"));
    // No retries: a provider failure shows at once instead of after the backoff.
    server = await startServer(childEnv(fake, path.join(root, "db"), { PROVIDER_MAX_RETRIES: "0" }));
    locked = await startServer(childEnv(fake, path.join(root, "locked"), { RAG_API_KEY: KEY }));
    // No provider at all: the sample documents by keyword, extractive answers.
    offline = await startServer(childEnv(undefined, path.join(root, "offline"), { SAMPLE_DOCS: "data/samples" }));
    browser = await launchChromium(chromiumPath!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), locked?.stop(), offline?.stop()]);
    await fake?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  afterEach(async () => {
    fake.clearFaults();
    fake.set({ streamChunkDelayMs: 0 });
    for (const w of opened.splice(0)) {
      await w.context.close();
      expect(w.errors, "console errors").toEqual([]);
      expect(w.foreign, "requests beyond 127.0.0.1").toEqual([]);
    }
  });

  async function open(url: string, options: Parameters<typeof watchedPage>[1] = {}): Promise<Page> {
    const w = await watchedPage(browser, { locale: "en-US", ...options });
    opened.push(w);
    await w.page.goto(url);
    await w.page.waitForSelector("html[data-ready]");
    return w.page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const useCollection = async (page: Page, name: string) => {
    await page.fill("#collection", name);
    await page.locator("#collection").dispatchEvent("change");
  };
  const api = async (route: string, init: RequestInit = {}) => fetch(server.url + route, init);

  it("uploads a PDF, a Markdown file and a dropped file with a progress bar and outcome each, and lists them", async () => {
    const page = await open(server.url);
    await useCollection(page, "web");
    await page.click("#tab-docs");
    await expect.poll(() => page.textContent("#docs-heading")).toBe("Documents in “web”");
    const fixture = async (name: keyof typeof FILES, mimeType: string) => ({ name, mimeType, buffer: await readFile(path.join(FIXTURES, FILES[name])) });
    await page.setInputFiles("#files", [
      await fixture("four-pages.pdf", "application/pdf"),
      await fixture("chinese-credits.pdf", "application/pdf"),
      await fixture("harbour-notes.md", "text/markdown"),
      { name: "minutes.docx", mimeType: "application/octet-stream", buffer: Buffer.from("not a supported file") },
    ]);
    await page.waitForFunction(() => document.querySelectorAll("#uploads li[data-outcome]").length === 4, undefined, { timeout: 30_000 });
    const rows = await page.$$eval("#uploads li", (lis) =>
      lis.map((li) => ({ name: li.firstChild!.textContent, bar: !!li.querySelector("progress"), outcome: li.dataset.outcome, text: li.querySelector(".outcome")!.textContent })),
    );
    expect(rows.slice(0, 3).map((r) => [r.name, r.bar, r.outcome])).toEqual([
      ["four-pages.pdf", true, "ok"],
      ["chinese-credits.pdf", true, "ok"],
      ["harbour-notes.md", true, "ok"],
    ]);
    expect(rows[0]!.text).toMatch(/^Ingested: \d+ chunks$/);
    expect(rows[3]).toMatchObject({ name: "minutes.docx", outcome: "failed" });
    expect(rows[3]!.text).toMatch(/^Failed: Unsupported file type "minutes\.docx"/);

    // Dropping works like picking.
    const dropped = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(["# Dropped note\n\nThe harbour crane lifts boats out of the water every October."], "dropped-note.md", { type: "text/markdown" }));
      return data;
    });
    await page.dispatchEvent("#drop", "drop", { dataTransfer: dropped });
    await page.waitForSelector("#uploads li[data-outcome=ok]");
    expect(await page.textContent("#uploads li")).toContain("dropped-note.md");

    await page.waitForFunction(() => document.querySelectorAll("#doc-rows tr").length === 4);
    const table = await page.$$eval("#doc-rows tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    const bySource = Object.fromEntries(table.map((cells) => [cells[1], cells]));
    expect(Object.keys(bySource).sort()).toEqual(["chinese-credits.pdf", "dropped-note.md", "four-pages.pdf", "harbour-notes.md"]);
    expect(bySource["four-pages.pdf"]![3]).toBe("4"); // pages
    expect(bySource["harbour-notes.md"]![0]).toBe("Harbour notes"); // title
    expect(bySource["harbour-notes.md"]![5]).toBe("nvidia/nv-embedqa-e5-v5"); // embedding model
    await shot(page, "documents");
  });

  it("asks in English: the answer streams in, reasoning is folded, [n] links to numbered cards with pages and the cited part marked, and copies with sources", async () => {
    fake.set({ streamChunkDelayMs: 40 });
    const page = await open(server.url);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await useCollection(page, "web");
    await page.selectOption("#model", "nim:deepseek-ai/deepseek-r1");
    await page.fill("#question", "What information does a blind text give you");
    await page.press("#question", "Shift+Enter"); // a new line, not a send
    expect(await page.$$(".turn")).toHaveLength(0);
    await page.type("#question", "about the font?");
    await page.press("#question", "Enter");
    // While it streams, the send button stops it.
    await page.waitForSelector("#send[data-i18n=stop]");
    expect(await page.textContent("#send")).toBe("Stop");

    // Streaming: the answer grows while the turn is still busy.
    await page.waitForFunction(() => (document.querySelector(".turn .text")?.textContent ?? "").length > 0);
    const early = (await page.textContent(".turn .text"))!.length;
    expect(await page.getAttribute(".turn .a", "aria-busy")).toBe("true");
    await page.waitForSelector(".turn .a[aria-busy=false]", { timeout: 20_000 });
    const answer = (await page.textContent(".turn .text"))!;
    expect(answer.length).toBeGreaterThan(early);
    expect(answer).toMatch(/blind text like this gives you information about the selected font/);
    expect(await page.$(".turn .error:not([hidden])")).toBeNull();

    // Reasoning: present, folded.
    expect(await page.$eval("details.reasoning", (d) => ({ hidden: (d as HTMLElement).hidden, open: (d as HTMLDetailsElement).open, text: d.textContent }))).toMatchObject({ hidden: false, open: false });

    // [n] links to its card; the card has its number, title, page and the cited part marked.
    const link = page.locator(".turn .text a.cite").first();
    const href = (await link.getAttribute("href"))!;
    const n = Number(/-c(\d+)$/.exec(href)![1]);
    const card = page.locator(href);
    expect(await card.locator(".n").textContent()).toBe(`[${n}]`);
    expect(await card.locator(".title").textContent()).toBe("four-pages.pdf");
    expect(await card.locator(".where").textContent()).toMatch(/^pp?\. \d/);
    expect(await card.locator("mark").textContent()).toMatch(/A blind text like this gives you information about the selected font/);
    await link.click();
    expect(await page.evaluate(() => location.hash)).toBe(href);
    await shot(page, "answer-en");

    await page.click(".turn .tools button");
    await expect.poll(() => page.textContent(".turn .tools [role=status]")).toBe("Copied.");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(answer);
    expect(copied).toMatch(new RegExp(`Sources:\\n\\[${n}\\] four-pages\\.pdf, pp?\\. \\d.* — four-pages\\.pdf`));

    // A second question stays below the first.
    await page.fill("#question", "When does the morning ferry leave the north quay?");
    await page.press("#question", "Enter");
    await page.waitForFunction(() => document.querySelectorAll(".turn .a[aria-busy=false]").length === 2, undefined, { timeout: 20_000 });
    expect(await page.textContent("#t2 .text")).toMatch(/seven/);
    expect(await page.textContent("#t1 .text")).toBe(answer);
  });

  it("asks in Chinese in a Chinese browser: Chinese interface, streamed answer and cards with page numbers", async () => {
    const page = await open(server.url, { locale: "zh-CN" });
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.textContent("#tab-ask")).toBe("提问");
    await useCollection(page, "web");
    await page.fill("#question", "这本书的责任编辑是谁？");
    await page.press("#question", "Enter");
    await page.waitForSelector(".turn .a[aria-busy=false]", { timeout: 20_000 });
    expect(await page.textContent(".turn .text")).toMatch(/责任编辑/);
    const card = page.locator(".card.cited").first();
    expect(await card.locator(".title").textContent()).toBe("chinese-credits.pdf");
    expect(await card.locator(".where").textContent()).toBe("第 1 页");
    expect(await card.locator(".badge").textContent()).toBe("已引用");
    await shot(page, "answer-zh");

    // The switch changes the language in place, answers already on screen included, and the choice sticks.
    await page.selectOption("#lang", "en");
    expect(await page.textContent("#tab-ask")).toBe("Ask");
    expect(await card.locator(".where").textContent()).toBe("p. 1");
    expect(await card.locator("button").textContent()).toBe("Open source (p. 1)");
    await page.reload();
    await page.waitForSelector("html[data-ready]");
    expect(await page.textContent("#tab-ask")).toBe("Ask");
  });

  it("opens a cited PDF at its page (a blob URL with #page=N) and a Markdown source at the passage", async () => {
    const page = await open(server.url);
    await useCollection(page, "web");
    await page.fill("#question", "What information does a blind text give you about the font?");
    await page.press("#question", "Enter");
    await page.waitForSelector(".turn .a[aria-busy=false]", { timeout: 20_000 });
    const card = page.locator(".card.cited").first();
    const page1 = Number(/\d+/.exec((await card.locator(".where").textContent())!)![0]);
    const [viewer] = await Promise.all([page.context().waitForEvent("page"), card.locator("button").click()]);
    await viewer.waitForURL(/^blob:/);
    expect(viewer.url()).toMatch(new RegExp(`^blob:${server.url}/[0-9a-f-]+#page=${page1}$`));
    const bytes = await page.evaluate(async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()).length, viewer.url().split("#")[0]!);
    expect(bytes).toBe((await readFile(path.join(FIXTURES, FILES["four-pages.pdf"]))).length);
    await viewer.close();

    await page.fill("#question", "Who rings the harbour bell on New Year's Eve?");
    await page.press("#question", "Enter");
    await page.waitForFunction(() => document.querySelectorAll(".turn .a[aria-busy=false]").length === 2, undefined, { timeout: 20_000 });
    await page.locator("#t2 .card.cited button").first().click();
    await page.waitForSelector("#source-dialog[open]");
    expect(await page.textContent("#source-title")).toBe("Source: Harbour notes");
    expect(await page.textContent("#source-text mark")).toBe("He still rings the harbour bell every New Year's Eve at midnight."); // the cited sentence
    expect(await page.textContent("#source-text")).toContain("## The lighthouse keeper"); // the original file, not the chunk
    await shot(page, "source-markdown");
    await page.keyboard.press("Escape");
  });

  it("deletes a document after confirmation (cancel keeps it)", async () => {
    const page = await open(server.url);
    await useCollection(page, "web");
    await page.click("#tab-docs");
    const row = page.locator("#doc-rows tr", { hasText: "dropped-note.md" });
    await row.getByRole("button", { name: /^Delete/ }).click();
    await page.waitForSelector("#confirm-dialog[open]");
    expect(await page.textContent("#confirm-body")).toMatch(/“Dropped note” and its passages will be removed from “web”/);
    await page.click("#confirm-dialog button[value=cancel]");
    expect(await row.count()).toBe(1);

    await row.getByRole("button", { name: /^Delete/ }).click();
    await shot(page, "delete-confirm");
    await page.click("#confirm-delete");
    await page.waitForFunction(() => ![...document.querySelectorAll("#doc-rows td")].some((td) => td.textContent === "dropped-note.md"));
    expect(await page.textContent("#notice")).toBe("Deleted “Dropped note”.");
    const listed = (await (await api("/v1/documents?collection=web")).json()) as { data: { source: string; document_id: string }[] };
    expect(listed.data.map((d) => d.source).sort()).toEqual(["chinese-credits.pdf", "four-pages.pdf", "harbour-notes.md"]);
  });

  it("with RAG_API_KEY: asks for the key, says when it is refused, then works and remembers it when asked to", async () => {
    const page = await open(locked.url);
    await page.waitForSelector("#key-dialog[open]");
    expect(await page.isVisible("#key-error")).toBe(false);
    expect(await page.textContent("#notice")).toBe("Error: This server needs its API key (401): enter it to continue.");
    await shot(page, "key-prompt");
    await page.fill("#key", "wrong-key");
    await page.click("#key-form button[type=submit]");
    await page.waitForSelector("#key-dialog[open] #key-error:not([hidden])");
    expect(await page.textContent("#key-error")).toBe("The server refused this key (401). Check RAG_API_KEY and try again.");
    expect(await page.textContent("#notice")).toContain("refused this key (401)");

    await page.fill("#key", KEY);
    await page.check("#remember");
    await page.click("#key-form button[type=submit]");
    await page.waitForFunction(() => !(document.getElementById("key-dialog") as HTMLDialogElement).open);
    await expect.poll(() => page.$$eval("#model option", (o) => o.length)).toBeGreaterThan(1);
    expect(await page.isVisible("#notice")).toBe(false);
    expect(await page.evaluate(() => localStorage.getItem("askdocs.key"))).toBe(KEY);
    await page.reload();
    await page.waitForSelector("html[data-ready]");
    expect(await page.$("#key-dialog[open]")).toBeNull();
    expect(await page.isVisible("#forget-key")).toBe(true);
  });

  it("without provider keys: says the answer is extractive, and says when no passage matched", async () => {
    const page = await open(offline.url);
    expect(await page.$$eval("#model option", (options) => options.map((o) => o.textContent))).toEqual(["No chat model (extractive answers)"]);
    await page.fill("#question", "Why are there two high tides a day?");
    await page.press("#question", "Enter");
    await page.waitForSelector("#t1 .a[aria-busy=false]", { timeout: 20_000 });
    expect(await page.textContent("#t1 .text")).toMatch(/two high tides/);
    expect(await page.$$eval("#t1 .badge", (badges) => badges.map((b) => b.textContent))).toContain("Extractive answer: sentences quoted from the passages, no chat model wrote it.");
    expect(await page.textContent("#t1 .card.cited .title")).toBe("Tides and the Moon");

    await page.fill("#question", "zqxv plorth wibbling");
    await page.press("#question", "Enter");
    await page.waitForSelector("#t2 .a[aria-busy=false]", { timeout: 20_000 });
    expect(await page.$$eval("#t2 .badge", (badges) => badges.map((b) => b.textContent))).toEqual(["No passage in this collection matched the question."]);
    expect(await page.$$("#t2 .card")).toHaveLength(0);
    await shot(page, "extractive-and-no-passage");
  });

  it("shows a provider failure in words, not JSON", async () => {
    fake.inject({ type: "server-error", status: 503 }, { route: "chat", times: 3 });
    const page = await open(server.url);
    await useCollection(page, "web");
    await page.fill("#question", "When does the fish market open?");
    await page.press("#question", "Enter");
    await page.waitForSelector(".turn .error:not([hidden])", { timeout: 20_000 });
    const error = (await page.textContent(".turn .error"))!;
    expect(error).toMatch(/^Error: .*(NVIDIA NIM|503)/);
    expect(error).not.toMatch(/[{}]/);
    await shot(page, "provider-error");
    // The API's own errors read the same way: a collection that does not exist.
    await useCollection(page, "nothing-here");
    await page.fill("#question", "Anything?");
    await page.press("#question", "Enter");
    await page.waitForSelector("#t2 .error:not([hidden])");
    expect(await page.textContent("#t2 .error")).toMatch(/^Error: .*nothing-here/);
  });

  it("passes axe-core with no serious or critical violations, light and dark, and fits a phone", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const page = await open(server.url, { colorScheme });
      if (colorScheme === "light") {
        // Keyboard: Tab walks through every control in reading order.
        const order: string[] = [];
        for (let i = 0; i < 8; i++) {
          await page.keyboard.press("Tab");
          order.push(await page.evaluate(() => document.activeElement?.id ?? ""));
        }
        expect(order).toEqual(["tab-ask", "tab-docs", "collection", "lang", "model", "question", "send", ""]);
      }
      await useCollection(page, "web");
      await page.fill("#question", "When does the morning ferry leave?");
      await page.press("#question", "Enter");
      await page.waitForSelector(".turn .a[aria-busy=false]", { timeout: 20_000 });
      expect(await seriousViolations(page), `ask tab, ${colorScheme}`).toEqual([]);
      await page.click("#tab-docs");
      await page.waitForSelector("#doc-rows tr");
      expect(await seriousViolations(page), `documents tab, ${colorScheme}`).toEqual([]);
      if (colorScheme === "dark") await shot(page, "documents-dark");
    }
    const phone = await open(server.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await useCollection(phone, "web");
    await phone.fill("#question", "When does the morning ferry leave?");
    await phone.press("#question", "Enter");
    await phone.waitForSelector(".turn .a[aria-busy=false]", { timeout: 20_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(phone, "phone");
    // Keyboard: Tab reaches the tabs and the question box, and focus is visible.
    await phone.focus("#tab-docs");
    await phone.keyboard.press("Enter");
    expect(await phone.isVisible("#docs")).toBe(true);
    expect(await phone.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");
  });
});
