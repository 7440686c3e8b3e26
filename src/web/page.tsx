/** @jsxImportSource hono/jsx */
/**
 * The web page's HTML, rendered on the server in the browser's language. It holds no
 * data: the client script (client-script.ts) fills it from the public HTTP API. Every
 * translatable text carries `data-i18n` (or `data-i18n-placeholder`) so the language
 * switch can redo it without a reload.
 */
import type { Lang, MessageKey } from "./messages.js";
import { MESSAGES } from "./messages.js";

export interface PageProps {
  lang: Lang;
  /** Asset URLs with their content hash, so a new build is never served from cache. */
  scriptUrl: string;
  styleUrl: string;
}

export function Page({ lang, scriptUrl, styleUrl }: PageProps) {
  const m = MESSAGES[lang];
  const T = ({ k, as: Tag = "span", ...rest }: { k: MessageKey; as?: "span" | "h2" | "p" | "button" | "label" | "summary"; [attr: string]: unknown }) => (
    <Tag data-i18n={k} {...rest}>
      {m[k]}
    </Tag>
  );
  return (
    <html lang={lang === "zh" ? "zh-CN" : "en"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>askdocs</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={styleUrl} />
        <script type="module" src={scriptUrl}></script>
      </head>
      <body>
        <header class="bar">
          <div class="brand">
            <h1>askdocs</h1>
            <T k="tagline" as="p" class="tagline" />
          </div>
          <nav class="tabs" aria-label="askdocs">
            <button type="button" id="tab-ask" class="tab" aria-controls="ask" aria-current="page" data-i18n="tabAsk">
              {m.tabAsk}
            </button>
            <button type="button" id="tab-docs" class="tab" aria-controls="docs" data-i18n="tabDocs">
              {m.tabDocs}
            </button>
          </nav>
          <div class="settings">
            <label class="field">
              <T k="collection" />
              <input id="collection" list="collection-list" value="default" autocomplete="off" spellcheck={false} />
              <datalist id="collection-list"></datalist>
            </label>
            <label class="field">
              <T k="language" />
              <select id="lang">
                <option value="en" selected={lang === "en"}>
                  English
                </option>
                <option value="zh" selected={lang === "zh"}>
                  中文
                </option>
              </select>
            </label>
            <button type="button" id="forget-key" class="quiet" hidden data-i18n="forgetKey">
              {m.forgetKey}
            </button>
          </div>
        </header>

        <div id="notice" class="notice" role="alert" hidden></div>

        <main>
          <section id="ask" class="panel" aria-labelledby="tab-ask">
            <div id="conversation" class="conversation" aria-live="polite">
              <T k="emptyConversation" as="p" id="empty" class="muted" />
            </div>
            <form id="ask-form" class="ask">
              <div class="ask-options">
                <label class="field">
                  <T k="model" />
                  <select id="model"></select>
                </label>
              </div>
              <label for="question" class="visually-hidden" data-i18n="question">
                {m.question}
              </label>
              <div class="ask-row">
                <textarea id="question" rows={2} aria-describedby="question-hint" placeholder={m.placeholder} data-i18n-placeholder="placeholder" required></textarea>
                <button type="submit" id="send" class="primary" data-i18n="send">
                  {m.send}
                </button>
              </div>
              <T k="questionHint" as="p" id="question-hint" class="muted small" />
            </form>
          </section>

          <section id="docs" class="panel" aria-labelledby="docs-heading" hidden>
            <div class="docs-head">
              <h2 id="docs-heading">{m.docsFor.replace("{name}", "default")}</h2>
              <button type="button" id="refresh" class="quiet" data-i18n="refresh">
                {m.refresh}
              </button>
            </div>
            <div id="drop" class="drop">
              <T k="upload" as="h2" class="small-heading" />
              <label class="button" for="files" data-i18n="pick">
                {m.pick}
              </label>
              <input id="files" type="file" multiple accept=".pdf,.md,.markdown,.html,.htm,.txt,.text" class="visually-hidden" />
              <T k="dropHint" as="p" class="muted" />
              <ul id="uploads" class="uploads"></ul>
            </div>
            <div class="table-wrap">
              <table id="doc-table">
                <thead>
                  <tr>
                    {(["docTitle", "docSource", "docChunks", "docPages", "docIngested", "docModel", "docActions"] as const).map((k) => (
                      <th scope="col" data-i18n={k}>
                        {m[k]}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody id="doc-rows"></tbody>
              </table>
            </div>
          </section>
        </main>

        <dialog id="key-dialog" aria-labelledby="key-title">
          <form method="dialog" id="key-form">
            <T k="keyTitle" as="h2" id="key-title" />
            <T k="keyBody" as="p" />
            <p id="key-error" class="error" role="alert" hidden></p>
            <label class="field">
              <T k="key" />
              <input id="key" type="password" autocomplete="current-password" required />
            </label>
            <label class="check">
              <input id="remember" type="checkbox" />
              <T k="remember" />
            </label>
            <div class="actions">
              <button type="submit" class="primary" data-i18n="signIn">
                {m.signIn}
              </button>
            </div>
          </form>
        </dialog>

        <dialog id="confirm-dialog" aria-labelledby="confirm-title">
          <form method="dialog">
            <T k="deleteTitle" as="h2" id="confirm-title" />
            <p id="confirm-body"></p>
            <div class="actions">
              <button type="submit" value="cancel" data-i18n="cancel">
                {m.cancel}
              </button>
              <button type="submit" value="delete" class="danger" id="confirm-delete" data-i18n="delete">
                {m.delete}
              </button>
            </div>
          </form>
        </dialog>

        <dialog id="source-dialog" class="wide" aria-labelledby="source-title">
          <form method="dialog">
            <h2 id="source-title">{m.openSource}</h2>
            <pre id="source-text" class="source-text" tabindex={0}></pre>
            <div class="actions">
              <button type="submit" data-i18n="close">
                {m.close}
              </button>
            </div>
          </form>
        </dialog>
      </body>
    </html>
  );
}
