/**
 * The page's client script, kept as a string module (like styles.ts) so that it ships
 * inside the code with no build step and no file to copy. Plain browser JavaScript: it
 * talks only to askdocs's public HTTP API (`/v1/collections`, `/v1/models`,
 * `/v1/documents`, `/v1/ask` as SSE), sends the API key as a bearer header when the
 * server asks for one, and builds every dynamic element with DOM calls (never innerHTML),
 * so text from documents and models cannot inject markup. `__MESSAGES__` is replaced by
 * the message table at start-up (see web-routes.ts).
 */
export const CLIENT_SCRIPT = String.raw`
const MESSAGES = __MESSAGES__;
const KEY = "askdocs.key", LANG = "askdocs.lang", COLL = "askdocs.collection";
const $ = (id) => document.getElementById(id);
const store = (name) => { try { return window[name]; } catch { return undefined; } };
const state = {
  lang: store("localStorage")?.getItem(LANG) || (/^zh/i.test(navigator.language) ? "zh" : "en"),
  key: store("sessionStorage")?.getItem(KEY) || store("localStorage")?.getItem(KEY) || "",
  collection: store("localStorage")?.getItem(COLL) || "default",
  collections: [], streaming: null, turns: [],
};

function t(k, vars) {
  let s = (MESSAGES[state.lang] || MESSAGES.en)[k] || k;
  for (const name in vars || {}) s = s.split("{" + name + "}").join(String(vars[name]));
  return s;
}
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const name in attrs || {}) {
    const v = attrs[name];
    if (v === undefined || v === null || v === false) continue;
    if (name === "class") node.className = v; else if (name === "text") node.textContent = v;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), v); else node.setAttribute(name, v === true ? "" : v);
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c);
  return node;
}
function notice(message, ok) {
  const box = $("notice");
  box.textContent = message; box.className = ok ? "notice ok" : "notice"; box.hidden = !message;
}

class ApiError extends Error { constructor(status, code, message) { super(message); this.status = status; this.code = code; } }

async function errorOf(res) {
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) return new ApiError(res.status, body.error.code, body.error.message);
  } catch {}
  return new ApiError(res.status, "http_" + res.status, res.status + " " + res.statusText);
}
function authHeaders(headers) {
  const h = new Headers(headers || {});
  if (state.key) h.set("Authorization", "Bearer " + state.key);
  return h;
}
async function api(path, init) {
  let res;
  try { res = await fetch(path, { ...(init || {}), headers: authHeaders(init && init.headers) }); }
  catch (e) { if (e.name === "AbortError") throw e; throw new ApiError(0, "network", t("networkError")); }
  if (res.status === 401) { askForKey(); throw new ApiError(401, "unauthorized", t(state.key ? "keyRefused" : "keyNeeded")); }
  if (!res.ok) throw await errorOf(res);
  return res;
}

// --- API key ---------------------------------------------------------------
function askForKey() {
  const dialog = $("key-dialog");
  $("key-error").hidden = !state.key;
  $("key-error").textContent = t("keyRefused");
  if (!dialog.open) { dialog.showModal(); $("key").focus(); }
}
function saveKey(key, remember) {
  for (const name of ["localStorage", "sessionStorage"]) store(name)?.removeItem(KEY);
  store(remember ? "localStorage" : "sessionStorage")?.setItem(KEY, key);
  state.key = key;
  $("forget-key").hidden = !key;
}

// --- language --------------------------------------------------------------
function applyLang() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  $("lang").value = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  $("docs-heading").textContent = t("docsFor", { name: state.collection });
  renderModels(state.models);
  renderDocs(state.docs);
  // Cards carry translated page labels and buttons: redraw them in the new language.
  for (const turn of state.turns) if (turn.citations.length) renderCards(turn, turn.cited || []);
}

// --- catalogue ---------------------------------------------------------------
async function loadCollections() {
  const body = await (await api("/v1/collections")).json();
  state.collections = body.data;
  $("collection-list").replaceChildren(...body.data.map((c) => el("option", { value: c.name })));
  if (!body.data.some((c) => c.name === state.collection) && body.data.length > 0 && !store("localStorage")?.getItem(COLL)) setCollection(body.data[0].name);
}
async function loadModels() {
  state.models = (await (await api("/v1/models")).json()).data;
  renderModels(state.models);
}
function renderModels(models) {
  if (!models) return;
  const select = $("model"), chosen = select.value;
  const options = models.map((m) => el("option", { value: m.id, selected: m.default, text: m.default ? t("modelDefault", { id: m.id }) : m.id }));
  if (options.length === 0) options.push(el("option", { value: "", text: t("modelExtractive") }));
  select.replaceChildren(...options);
  if (chosen && models.some((m) => m.id === chosen)) select.value = chosen;
}
function setCollection(name) {
  state.collection = name;
  $("collection").value = name;
  $("docs-heading").textContent = t("docsFor", { name });
}

// --- documents -------------------------------------------------------------
async function loadDocs() {
  try {
    const body = await (await api("/v1/documents?collection=" + encodeURIComponent(state.collection))).json();
    state.docs = body.data;
  } catch (e) {
    state.docs = [];
    if (e.status !== 404) notice(t("error", { message: e.message }));
  }
  renderDocs(state.docs);
}
function renderDocs(docs) {
  if (!docs) return;
  const rows = $("doc-rows");
  const model = (state.collections.find((c) => c.name === state.collection) || {}).embed_model || "";
  if (docs.length === 0) { rows.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "muted", text: t("noDocuments") }))); return; }
  rows.replaceChildren(...docs.map((d) => {
    const cell = (k, value, cls) => el("td", { "data-label": t(k), class: cls }, value);
    return el("tr", {},
      cell("docTitle", d.title), cell("docSource", d.source), cell("docChunks", String(d.chunks), "num"),
      cell("docPages", d.pages ? String(d.pages) : "–", "num"), cell("docIngested", new Date(d.ingested_at).toLocaleString(state.lang === "zh" ? "zh-CN" : "en")),
      cell("docModel", model),
      el("td", {}, el("div", { class: "actions" },
        d.original ? el("button", { type: "button", text: t("openSource"), "aria-label": t("openSource") + ": " + d.title, onclick: () => openSource({ document_id: d.document_id, source: d.source, title: d.title, page: null }) }) : null,
        el("button", { type: "button", class: "danger", text: t("delete"), "aria-label": t("delete") + ": " + d.title, onclick: () => confirmDelete(d) }))));
  }));
}
function confirmDelete(doc) {
  const dialog = $("confirm-dialog");
  $("confirm-body").textContent = t("deleteBody", { name: doc.title || doc.source, collection: state.collection });
  dialog.returnValue = "";
  dialog.onclose = async () => {
    if (dialog.returnValue !== "delete") return;
    try {
      await api("/v1/documents/" + doc.document_id + "?collection=" + encodeURIComponent(state.collection), { method: "DELETE" });
      notice(t("deleted", { name: doc.title || doc.source }), true);
    } catch (e) { notice(t("error", { message: e.message })); }
    await Promise.all([loadDocs(), loadCollections().catch(() => {})]);
  };
  dialog.showModal();
  dialog.querySelector("button[value=cancel]").focus();
}
function uploadOne(file, row) {
  const bar = row.querySelector("progress"), outcome = row.querySelector(".outcome");
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/documents");
    if (state.key) xhr.setRequestHeader("Authorization", "Bearer " + state.key);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
    xhr.upload.onload = () => { bar.removeAttribute("value"); outcome.textContent = t("processing"); };
    const finish = (ok, text) => { bar.value = 1; outcome.textContent = text; outcome.className = "outcome " + (ok ? "ok" : "failed"); row.dataset.outcome = ok ? "ok" : "failed"; resolve(); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch {}
      if (xhr.status === 401) askForKey();
      if (xhr.status >= 200 && xhr.status < 300 && body) finish(true, body.status === "unchanged" ? t("unchanged") : t("ingested", { chunks: body.chunks }));
      else finish(false, t("failed", { reason: (body && body.error && body.error.message) || xhr.status + " " + xhr.statusText }));
    };
    xhr.onerror = () => finish(false, t("failed", { reason: t("networkError") }));
    const form = new FormData();
    form.append("collection", state.collection);
    form.append("file", file);
    xhr.send(form);
  });
}
async function uploadFiles(files) {
  const rows = [...files].map((file) => el("li", {},
    el("span", { text: file.name }),
    el("progress", { max: 1, value: 0, "aria-label": file.name }),
    el("span", { class: "outcome", role: "status", text: t("uploading") })));
  $("uploads").replaceChildren(...rows);
  // One at a time: the server ingests each upload in full before answering.
  for (let i = 0; i < rows.length; i++) await uploadOne(files[i], rows[i]);
  await loadCollections().catch(() => {});
  await loadDocs();
}

// --- open a source ---------------------------------------------------------
const isPdf = (name) => /\.pdf$/i.test(name);
async function openSource(c) {
  // Opened now, while the click still counts as a user gesture; filled once the file arrives.
  const win = isPdf(c.source) ? window.open("", "_blank") : null;
  try {
    const res = await api("/v1/documents/" + c.document_id + "/source?collection=" + encodeURIComponent(state.collection));
    const blob = await res.blob();
    if (isPdf(c.source)) {
      const url = URL.createObjectURL(blob) + (c.page ? "#page=" + c.page : "");
      if (win) win.location.href = url; else el("a", { href: url, target: "_blank" }).click();
      setTimeout(() => URL.revokeObjectURL(url.split("#")[0]), 60000);
      return;
    }
    // Originals keep their bytes (a text file may be GBK): decode by the charset served with them.
    const charset = /charset=([\w-]+)/i.exec(res.headers.get("content-type") || "");
    let text = new TextDecoder(charset ? charset[1] : "utf-8").decode(await blob.arrayBuffer());
    if (/\.html?$/i.test(c.source)) text = new DOMParser().parseFromString(text, "text/html").body.textContent || "";
    showText(c, text);
  } catch (e) {
    win?.close();
    notice(e.status === 404 ? t("sourceMissing") : t("error", { message: e.message }));
  }
}
/** Where a quote sits in the original: its words in order, any whitespace between (the chunker re-flows lines). */
function locate(text, quote) {
  const escape = (w) => w.replace(/[.*+?^$()|[\]{}\\]/g, "\\$&");
  const all = (quote || "").split(/\s+/).filter(Boolean);
  for (const n of [60, 8]) {
    const words = all.slice(0, n);
    if (words.length === 0) return null;
    const found = new RegExp(words.map(escape).join("\\s+")).exec(text);
    if (found) return { start: found.index, end: found.index + found[0].length };
  }
  return null;
}
function showText(c, text) {
  const pre = $("source-text");
  $("source-title").textContent = t("sourceOf", { name: c.title || c.source });
  pre.replaceChildren(text);
  $("source-dialog").showModal();
  const at = locate(text, c.quote) || locate(text, c.text);
  if (!at) return;
  const mark = el("mark", { text: text.slice(at.start, at.end) });
  pre.replaceChildren(text.slice(0, at.start), mark, text.slice(at.end));
  pre.scrollTop = mark.offsetTop - pre.offsetTop - 24;
}

// --- asking ----------------------------------------------------------------
async function* sse(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
function words(s) {
  const out = new Set();
  for (const w of s.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []) {
    if (CJK.test(w)) for (const ch of w) out.add(ch); else if (w.length > 2) out.add(w);
  }
  return out;
}
/** The passage's sentence that best matches an answer sentence citing it, or null. */
function citedSpan(passage, claims) {
  const sentences = passage.match(/[^.!?。！？；\n]+[.!?。！？；]*/g) || [];
  let best = null, bestScore = 0, at = 0;
  for (const s of sentences) {
    const start = passage.indexOf(s, at); at = start + s.length;
    const ws = words(s);
    for (const claim of claims) {
      const cw = words(claim); let shared = 0;
      for (const w of cw) if (ws.has(w)) shared++;
      const score = cw.size ? shared / cw.size : 0;
      if (score > bestScore) { bestScore = score; best = { start, end: start + s.length }; }
    }
  }
  return bestScore >= 0.5 ? best : null;
}
function pagesOf(c) {
  if (!c.page) return "";
  return c.page_end && c.page_end !== c.page ? t("pages", { from: c.page, to: c.page_end }) : t("page", { n: c.page });
}
function newTurn(question) {
  const id = "t" + (state.turns.length + 1);
  $("empty")?.remove();
  const parts = {
    id,
    status: el("p", { class: "muted status", text: t("thinking") }),
    reasoning: el("pre"),
    text: el("div", { class: "text" }),
    badges: el("div"),
    error: el("p", { class: "error", role: "alert", hidden: true }),
    cards: el("ol", { class: "cards", "aria-label": t("sources") }),
    tools: el("div", { class: "tools", hidden: true }),
    answer: "", citations: [],
  };
  parts.details = el("details", { class: "reasoning", hidden: true }, el("summary", { "data-i18n": "reasoning", text: t("reasoning") }), parts.reasoning);
  parts.box = el("div", { class: "a", "aria-busy": "true" }, el("h3", { class: "visually-hidden", "data-i18n": "answer", text: t("answer") }), parts.status, parts.details, parts.text, parts.badges, parts.error, parts.cards, parts.tools);
  const turn = el("article", { class: "turn", id, "aria-label": question.slice(0, 80) },
    el("div", { class: "q" }, el("span", { class: "visually-hidden", "data-i18n": "you", text: t("you") }), question), parts.box);
  $("conversation").append(turn);
  state.turns.push(parts);
  turn.scrollIntoView({ block: "end" });
  return parts;
}
function renderText(turn) {
  const nodes = [];
  let last = 0;
  const re = /\[(\d+)\]/g;
  for (let m = re.exec(turn.answer); m; m = re.exec(turn.answer)) {
    const n = Number(m[1]);
    if (n < 1 || n > turn.citations.length) continue;
    nodes.push(turn.answer.slice(last, m.index));
    const target = turn.id + "-c" + n;
    nodes.push(el("a", { href: "#" + target, class: "cite", onclick: () => { const card = $(target); card.classList.add("flash"); setTimeout(() => card.classList.remove("flash"), 1500); } }, "[" + n + "]"));
    last = m.index + m[0].length;
  }
  nodes.push(turn.answer.slice(last));
  turn.text.replaceChildren(...nodes);
}
function renderCards(turn, cited) {
  // Markers after a sentence's full stop belong to that sentence: move them before it, then split.
  const claims = turn.answer.replace(/([.!?。！？；])((?:\s*\[\d+\])+)/g, "$2$1").split(/(?<=[.!?。！？；])\s*|\n+/);
  turn.cards.replaceChildren(...turn.citations.map((c) => {
    const isCited = cited.includes(c.n);
    const passage = el("div", { class: "passage", tabindex: 0, "aria-label": t("sources") + " " + c.n });
    const span = isCited ? citedSpan(c.text, claims.filter((s) => s.includes("[" + c.n + "]")).map((s) => s.replace(/\[\d+\]/g, ""))) : null;
    if (span) passage.append(c.text.slice(0, span.start), el("mark", { text: c.text.slice(span.start, span.end) }), c.text.slice(span.end));
    else passage.append(c.text);
    const where = [pagesOf(c), c.heading].filter(Boolean).join(" · ");
    return el("li", { class: "card" + (isCited ? " cited" : " uncited"), id: turn.id + "-c" + c.n, tabindex: -1 },
      el("header", {}, el("span", { class: "n", text: "[" + c.n + "]" }), el("span", { class: "title", text: c.title || c.source }),
        where ? el("span", { class: "where", text: where }) : null, isCited ? el("span", { class: "badge", text: t("cited") }) : null),
      passage,
      el("button", { type: "button", text: t("openSource") + (c.page ? " (" + pagesOf(c) + ")" : ""), onclick: () => openSource({ ...c, quote: span ? c.text.slice(span.start, span.end) : "" }) }));
  }));
  for (const mark of turn.cards.querySelectorAll("mark")) {
    const box = mark.parentElement;
    box.scrollTop = mark.offsetTop - box.offsetTop - 8;
  }
}
function badge(turn, k) { turn.badges.append(el("p", { class: "badge", "data-i18n": k, text: t(k) })); }
async function copyAnswer(turn, status) {
  const used = turn.cited.length ? turn.citations.filter((c) => turn.cited.includes(c.n)) : turn.citations;
  const text = turn.answer + "\n\n" + t("sources") + ":\n" + used.map((c) => "[" + c.n + "] " + (c.title || c.source) + (c.page ? ", " + pagesOf(c) : "") + " — " + c.source).join("\n");
  try { await navigator.clipboard.writeText(text); }
  catch {
    // Plain-HTTP pages on a private network have no clipboard API.
    const area = el("textarea", { class: "visually-hidden" }, text);
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
  }
  status.textContent = t("copied");
}
function handle(turn, event, data) {
  if (event === "citations") {
    turn.citations = data.citations;
    if (data.citations.length === 0) badge(turn, "noPassages");
    else if (data.answer_mode === "extractive") badge(turn, "extractive");
    renderCards(turn, []);
  } else if (event === "reasoning") {
    turn.details.hidden = false;
    turn.reasoning.append(data.text);
  } else if (event === "delta") {
    turn.status.remove();
    turn.answer += data.text;
    renderText(turn);
  } else if (event === "done") {
    turn.cited = data.cited || [];
    renderText(turn);
    renderCards(turn, turn.cited);
    const status = el("span", { role: "status", class: "muted small" });
    turn.tools.replaceChildren(el("button", { type: "button", "data-i18n": "copy", text: t("copy"), onclick: () => copyAnswer(turn, status) }), status);
    turn.tools.hidden = false;
  } else if (event === "error") {
    showError(turn, data.message);
  }
}
function showError(turn, message) {
  turn.status.remove();
  turn.error.textContent = t("error", { message });
  turn.error.hidden = false;
}
function setSending(on) {
  const send = $("send");
  send.dataset.i18n = on ? "stop" : "send";
  send.textContent = t(send.dataset.i18n);
}
async function ask(question) {
  const turn = newTurn(question);
  const controller = new AbortController();
  state.streaming = controller;
  setSending(true);
  const body = { question, collection: state.collection, stream: true };
  if ($("model").value) body.model = $("model").value;
  try {
    const res = await api("/v1/ask", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: controller.signal });
    for await (const ev of sse(res)) handle(turn, ev.event, ev.data);
  } catch (e) {
    if (e.name === "AbortError") { turn.status.remove(); turn.badges.append(el("p", { class: "badge", text: t("stopped") })); }
    else showError(turn, e.message);
  } finally {
    turn.box.setAttribute("aria-busy", "false");
    state.streaming = null;
    setSending(false);
  }
}

// --- wiring ----------------------------------------------------------------
function showTab(name) {
  for (const [tab, panel] of [["tab-ask", "ask"], ["tab-docs", "docs"]]) {
    const on = panel === name;
    $(panel).hidden = !on;
    if (on) $(tab).setAttribute("aria-current", "page"); else $(tab).removeAttribute("aria-current");
  }
  if (name === "docs") loadDocs();
}
async function refresh() {
  notice("");
  try {
    await Promise.all([loadCollections(), loadModels()]);
    if (!$("docs").hidden) await loadDocs();
  } catch (e) { notice(t("error", { message: e.message })); }
}

$("tab-ask").onclick = () => showTab("ask");
$("tab-docs").onclick = () => showTab("docs");
$("refresh").onclick = () => loadDocs();
$("lang").onchange = (e) => { state.lang = e.target.value; store("localStorage")?.setItem(LANG, state.lang); applyLang(); };
$("collection").onchange = (e) => {
  const name = e.target.value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) { e.target.setCustomValidity(t("collection")); e.target.reportValidity(); return; }
  e.target.setCustomValidity("");
  setCollection(name);
  store("localStorage")?.setItem(COLL, name);
  if (!$("docs").hidden) loadDocs();
};
$("forget-key").onclick = () => { saveKey("", false); askForKey(); };
$("key-form").onsubmit = (e) => {
  e.preventDefault();
  saveKey($("key").value.trim(), $("remember").checked);
  $("key").value = "";
  $("key-dialog").close();
  refresh();
};
$("question").onkeydown = (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("ask-form").requestSubmit(); }
};
$("ask-form").onsubmit = (e) => {
  e.preventDefault();
  if (state.streaming) { state.streaming.abort(); return; }
  const q = $("question").value.trim();
  if (!q) return;
  $("question").value = "";
  ask(q);
};
$("files").onchange = (e) => { if (e.target.files.length) uploadFiles([...e.target.files]); e.target.value = ""; };
const drop = $("drop");
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) uploadFiles([...e.dataTransfer.files]); };

setCollection(state.collection);
$("forget-key").hidden = !state.key;
if (state.lang !== "en" || document.documentElement.lang !== "en") applyLang();
// Ready: the catalogue is in and every control works (what the benchmark calls interactive).
refresh().finally(() => { document.documentElement.dataset.ready = "true"; performance.mark("askdocs:ready"); });
`;
