/**
 * Headless Chromium for the web page's tests and benchmark: Debian's own `chromium`
 * package (the registry's browser downloads do not work here), driven by playwright-core.
 * `--no-sandbox` because CI runs as root, where Chromium's sandbox refuses to start.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

export const INSTALL_HINT = "install Chromium to run them: `sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome executable";

/** The browser to drive: CHROMIUM_PATH, else the first system install found; undefined when there is none. */
export function findChromium(): string | undefined {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
}

export interface Watched {
  page: Page;
  context: BrowserContext;
  /**
   * Console errors and uncaught exceptions in the page. Chromium's own "Failed to load
   * resource: … status of 4xx/5xx" lines are left out: they are HTTP errors the page
   * handles and shows in words (a refused key, a missing collection), not script errors.
   */
  errors: string[];
  /** Network requests to anywhere but 127.0.0.1. */
  foreign: string[];
}

/** A fresh context and page that records console errors and every request leaving 127.0.0.1. */
export async function watchedPage(browser: Browser, options: Parameters<Browser["newContext"]>[0] = {}): Promise<Watched> {
  const context = await browser.newContext(options);
  const errors: string[] = [];
  const foreign: string[] = [];
  context.on("request", (request) => {
    const url = new URL(request.url());
    // Only network schemes leave the machine (blob:, data: and Chromium's built-in PDF viewer do not).
    if (["http:", "https:", "ws:", "wss:", "ftp:"].includes(url.protocol) && url.hostname !== "127.0.0.1") foreign.push(request.url());
  });
  context.on("page", (page) => {
    page.on("console", (message) => {
      if (message.type() === "error" && !/^Failed to load resource: the server responded with a status of [45]\d\d/.test(message.text())) errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
  });
  const page = await context.newPage();
  return { page, context, errors, foreign };
}

const require = createRequire(import.meta.url);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core inside the page (evaluated through the DevTools protocol, so the page's
 * Content-Security-Policy does not block it) and returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
