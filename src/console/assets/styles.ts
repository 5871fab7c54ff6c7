/**
 * The console's stylesheet, served as /console/assets/console.css (no inline styles: the CSP
 * allows style-src 'self' only). Colours keep a contrast of at least 4.5:1 on their backgrounds;
 * every focusable element shows a visible outline of at least 3:1 against what surrounds it (white
 * in the dark header, where the red one would be 2.4:1); narrow screens get a single column.
 */
export const CONSOLE_CSS = `
:root{--bg:#ffffff;--fg:#1a1a1a;--muted:#4d4d4d;--line:#c8c8c8;--accent:#0b57d0;--accent-fg:#ffffff;--panel:#f3f5f8;
--ok:#0a6b2e;--bad:#a4161a;--warn:#7a4b00;--focus:#b3261e;--header:#1b2430;--focus-on-header:#ffffff}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:16px;line-height:1.45;color:var(--fg);background:var(--bg)}
body{margin:0}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header.top a:focus-visible,header.top button:focus-visible,.skip:focus-visible{outline-color:var(--focus-on-header)}
.skip{position:absolute;left:-9999px;top:0;background:var(--fg);color:var(--bg);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
header.top{background:var(--header);color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header.top .brand{font-weight:700;color:#fff;text-decoration:none}
nav.main ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem}
nav.main a{color:#e8eefc;text-decoration:none;padding:.25rem .1rem;border-bottom:2px solid transparent}
nav.main a[aria-current=page]{border-bottom-color:#fff;color:#fff;font-weight:600}
nav.main a:hover{text-decoration:underline}
header.top form{margin-left:auto}
header.top button{background:transparent;color:#fff;border:1px solid #c9d2e0}
main{padding:1rem;max-width:80rem;margin:0 auto}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.muted{color:var(--muted)}
.error-text{color:var(--bad)}
.notice{border-left:4px solid var(--ok);background:#e8f5ec;padding:.5rem .75rem;margin:0 0 1rem}
.error{border-left:4px solid var(--bad);background:#fdecec;padding:.5rem .75rem;margin:0 0 1rem}
.warning{border-left:4px solid var(--warn);background:#fff4e0;padding:.5rem .75rem;margin:0 0 1rem}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:4px}
.table-wrap+form{margin-top:1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600}
tbody tr:last-child td{border-bottom:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--panel);border:1px solid var(--line);padding:.75rem;overflow:auto;max-height:32rem;white-space:pre-wrap;word-break:break-word}
.state{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
.state-done,.state-ok,.state-accepted,.state-active,.state-complete,.state-valid{color:var(--ok)}
.state-dead,.state-failed,.state-rejected,.state-invalid,.state-unparseable,.state-incomplete{color:var(--bad)}
.state-failing,.state-stale,.state-duplicate,.state-pending,.state-requested,.state-removed{color:var(--warn)}
form.inline{display:inline}
form.filters,form.stack{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 1rem}
form.stack{flex-direction:column;align-items:stretch;max-width:28rem}
label{display:flex;flex-direction:column;font-size:.85rem;font-weight:600;gap:.2rem}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid #6b6b6b;border-radius:4px;background:#fff;color:var(--fg);min-height:2.25rem}
button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;min-height:2.25rem}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;background:#fff}
.card h2{margin-top:0}
.cards.charts{grid-template-columns:repeat(auto-fit,minmax(min(100%,34rem),1fr))}
figure.chart{margin:0}
figure.chart svg{width:100%;height:auto;display:block;background:#fff}
figure.chart figcaption{font-size:.85rem;color:var(--muted)}
.live{font-size:.85rem;color:var(--muted)}
.live[data-state=open]{color:var(--ok)}
tr.fresh td{background:#eef4ff}
.login{max-width:24rem;margin:10vh auto;padding:1.5rem;border:1px solid var(--line);border-radius:8px}
@media (max-width:40rem){
  main{padding:.75rem}
  h1{font-size:1.25rem}
  header.top form{margin-left:0}
  th,td{padding:.35rem .4rem}
  .hide-narrow{display:none}
  td .date{display:none}
  dl.facts{grid-template-columns:1fr}
  dl.facts dd{margin-bottom:.4rem}
}
@media (prefers-reduced-motion:no-preference){tr.fresh td{transition:background 2s}}
`;
