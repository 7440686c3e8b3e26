/**
 * The page's stylesheet, kept as a string module so that it ships inside the code (from
 * TS sources, from a compiled dist/ or in a Worker alike) with nothing to copy. Light and
 * dark follow the system; one column under 760px for phones.
 */
export const STYLES = `
:root{color-scheme:light dark;--bg:#f7f7f5;--fg:#1d1d1f;--muted:#5a5d63;--card:#fff;--line:#d5d7db;--accent:#0b57d0;--accent-fg:#fff;--mark:#fff0a8;--danger:#b3261e;--ok:#1b6e3a;--focus:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#16171a;--fg:#ececef;--muted:#a9adb5;--card:#202227;--line:#3a3d44;--accent:#8ab4f8;--accent-fg:#0b1a33;--mark:#5c4d00;--danger:#f2b8b5;--ok:#8fd6a4;--focus:#8ab4f8}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
h1{font-size:1.25rem;margin:0}h2{font-size:1.05rem;margin:0 0 .5rem}
p{margin:.3rem 0}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
button,.button,select,input,textarea{font:inherit;color:inherit}
button,.button{border:1px solid var(--line);background:var(--card);border-radius:8px;padding:.4rem .8rem;cursor:pointer;display:inline-block}
button:hover,.button:hover{border-color:var(--accent)}
button.primary{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}
button.danger{background:var(--danger);color:var(--card);border-color:var(--danger)}
button.quiet{background:transparent}
button:disabled{opacity:.6;cursor:default}
select{max-width:100%}
select,input,textarea{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.35rem .5rem}
.bar{display:flex;flex-wrap:wrap;gap:.75rem 1.5rem;align-items:center;justify-content:space-between;padding:.75rem 1.25rem;border-bottom:1px solid var(--line);background:var(--card)}
.tagline,.muted{color:var(--muted)}.tagline{margin:0;font-size:.85rem}.small{font-size:.82rem}
.tabs{display:flex;gap:.25rem}.tab[aria-current=page]{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}
.settings{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}
.field{display:flex;flex-direction:column;gap:.15rem;min-width:0;max-width:100%;font-size:.82rem;color:var(--muted)}
.field>input,.field>select{color:var(--fg);font-size:.95rem;min-width:9rem}
.check{display:flex;gap:.5rem;align-items:center;margin:.6rem 0}
main{max-width:980px;margin:0 auto;padding:1rem 1.25rem 2rem}
.notice{max-width:980px;margin:.75rem auto 0;padding:.6rem .9rem;border-radius:8px;border:1px solid var(--danger);color:var(--danger);background:var(--card)}
.notice.ok{border-color:var(--ok);color:var(--ok)}
.conversation{display:flex;flex-direction:column;gap:1rem;margin-bottom:1rem}
.turn{display:flex;flex-direction:column;gap:.5rem}
.q{align-self:flex-end;max-width:85%;background:var(--accent);color:var(--accent-fg);padding:.5rem .8rem;border-radius:12px 12px 2px 12px;white-space:pre-wrap}
.a{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.75rem 1rem}
.a .text{white-space:pre-wrap;overflow-wrap:anywhere}
.a .text a{font-weight:600;text-decoration:none}
.badge{display:inline-block;font-size:.8rem;border:1px solid var(--line);border-radius:999px;padding:.05rem .6rem;margin:.2rem 0;color:var(--muted)}
.error{color:var(--danger)}
details.reasoning{margin:.25rem 0 .5rem;color:var(--muted);font-size:.9rem}details.reasoning pre{white-space:pre-wrap;font:inherit;margin:.3rem 0 0}
.cards{list-style:none;padding:0;margin:.75rem 0 0;display:grid;gap:.6rem}
.card{border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem;background:var(--bg)}
.card:target,.card.flash{outline:3px solid var(--accent)}
.card header{display:flex;flex-wrap:wrap;gap:.25rem .6rem;align-items:baseline}
.card .n{font-weight:700}.card .title{font-weight:600}.card .where{color:var(--muted);font-size:.85rem}
.card .passage{max-height:9.5em;overflow:auto;margin:.4rem 0;font-size:.9rem;white-space:pre-wrap;overflow-wrap:anywhere}
mark{background:var(--mark);color:inherit}
.card.cited{border-color:var(--accent)}
.tools{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.6rem;align-items:center}
.ask{position:sticky;bottom:0;background:var(--bg);padding:.5rem 0}
.ask-options{display:flex;gap:.75rem;margin-bottom:.4rem}
.ask-row{display:flex;gap:.5rem;align-items:stretch}
.ask-row textarea{flex:1;resize:vertical;min-height:3rem}
.docs-head{display:flex;justify-content:space-between;align-items:center}
.drop{border:2px dashed var(--line);border-radius:12px;padding:1rem;margin:.75rem 0;text-align:center}
.drop.over{border-color:var(--accent);background:var(--card)}
.small-heading{font-size:.95rem}
.uploads{list-style:none;padding:0;margin:.5rem 0 0;text-align:left;display:grid;gap:.4rem}
.uploads li{display:grid;grid-template-columns:minmax(0,1fr) 8rem;gap:.2rem .6rem;align-items:center}
.uploads progress{width:100%}.uploads .outcome{grid-column:1/-1;font-size:.85rem}
.outcome.ok{color:var(--ok)}.outcome.failed{color:var(--danger)}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num{text-align:right}
td .actions{display:flex;gap:.4rem}
dialog{border:1px solid var(--line);border-radius:12px;background:var(--card);color:var(--fg);max-width:min(32rem,92vw)}
dialog.wide{max-width:min(60rem,94vw);width:100%}
dialog::backdrop{background:rgba(0,0,0,.45)}
dialog .actions{display:flex;gap:.5rem;justify-content:flex-end;margin-top:.75rem}
.source-text{white-space:pre-wrap;overflow:auto;max-height:65vh;font-size:.9rem;border:1px solid var(--line);border-radius:8px;padding:.6rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:760px){.bar{padding:.6rem .8rem}main{padding:.75rem}.q{max-width:95%}.ask-row{flex-direction:column}
#doc-table thead{display:none}#doc-table tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}#doc-table td{display:block;border:0;padding:.1rem 0}#doc-table td.num{text-align:left}#doc-table td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}}
`;
