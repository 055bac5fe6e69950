// The report's stylesheet, inlined into the page (no web fonts, no external files: it must open
// offline and print well). Easy to get wrong: print. Figures must not split across pages, and the
// background colours of the cards need `print-color-adjust` or they vanish on paper.

export const REPORT_CSS = `
:root {
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --paper: #ffffff; --canvas: #f3f4f6;
  --events: #0f766e; --polling: #c2410c; --danger: #b91c1c; --ok: #15803d; --accent: #1e3a8a;
  --font: 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--canvas); color: var(--ink); font: 15px/1.55 var(--font); -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.sheet { max-width: 1040px; margin: 32px auto; background: var(--paper); padding: 48px 56px 40px; box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.04); border-radius: 4px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); font-weight: 600; }
h1 { font-size: 30px; line-height: 1.2; margin: 10px 0 12px; letter-spacing: -.01em; color: var(--ink); }
h1 .events { color: var(--events); } h1 .polling { color: var(--polling); }
h2 { font-size: 20px; margin: 0 0 6px; letter-spacing: -.005em; }
h2 .num { color: var(--muted); font-weight: 400; margin-right: 8px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 0 0 10px; }
.lede { font-size: 16px; color: #374151; max-width: 820px; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.small { font-size: 13px; }
section { margin-top: 40px; padding-top: 28px; border-top: 1px solid var(--line); break-inside: avoid-page; }
header + section { border-top: 0; padding-top: 0; margin-top: 28px; }
.banner { border-left: 4px solid var(--danger); background: #fef2f2; padding: 12px 16px; margin: 16px 0; }
.lapse-note { border-left: 4px solid var(--accent); background: #eff6ff; padding: 12px 16px; margin: 16px 0; font-size: 14px; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 16px; }
.stat { background: #f9fafb; border: 1px solid var(--line); border-radius: 6px; padding: 16px 18px; }
.stat .value { font-size: 30px; font-weight: 700; line-height: 1.15; letter-spacing: -.01em; }
.stat .label { color: var(--muted); font-size: 13px; margin-top: 4px; }
.stat.good .value { color: var(--ok); } .stat.bad .value { color: var(--danger); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 16px; margin-top: 18px; }
.card { border: 1px solid var(--line); border-top: 5px solid var(--c, var(--muted)); border-radius: 6px; padding: 16px 18px 12px; }
.card h3 { margin: 0 0 10px; font-size: 16px; color: var(--c, var(--ink)); }
.card .big { font-size: 28px; font-weight: 700; line-height: 1.1; }
.card .per { color: var(--muted); font-size: 13px; }
.card dl { display: grid; grid-template-columns: 1fr auto; gap: 4px 12px; margin: 14px 0 0; font-size: 14px; }
.card dt { color: #374151; } .card dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
.pill { display: inline-block; font-size: 11px; font-weight: 700; padding: 1px 7px; border-radius: 10px; margin-left: 6px; vertical-align: 1px; }
.pill.ok { background: #dcfce7; color: #166534; } .pill.bad { background: #fee2e2; color: #991b1b; }
figure { margin: 14px 0 0; break-inside: avoid; }
figure .chart-svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: #4b5563; margin-top: 6px; max-width: 860px; }
.strategy-title { font-weight: 600; font-size: 14px; margin: 18px 0 0; color: var(--c, var(--ink)); }
.split { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.1fr); gap: 28px; align-items: start; }
.split figure { margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 12px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { color: var(--ok); font-weight: 700; }
tr.total td { font-weight: 700; border-top: 2px solid var(--line); }
.table-wrap { overflow-x: auto; margin-top: 12px; }
.table-wrap > table { margin-top: 0; }
.figures-table td.num { white-space: normal; }
.channel-table td.strategy { color: var(--c, var(--ink)); font-weight: 600; white-space: nowrap; }
.channel-table tr.group > td { border-top: 2px solid var(--line); }
code, .mono { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12.5px; }
code { background: #f3f4f6; padding: 1px 5px; border-radius: 3px; word-break: break-word; }
.formula { background: #f9fafb; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; font-size: 14px; }
.assumptions-table code { white-space: nowrap; word-break: normal; }
.assumptions-table td:nth-child(1) { width: 30%; }
.assumptions-table td:nth-child(2) { min-width: 180px; }
ol.reading { padding-left: 20px; margin: 8px 0; } ol.reading li { margin-bottom: 4px; }
footer { margin-top: 40px; padding-top: 16px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
@media (max-width: 760px) { .sheet { padding: 24px 18px; margin: 0; } .split { grid-template-columns: 1fr; } h1 { font-size: 24px; } }
@media print {
  @page { size: A4; margin: 14mm; }
  body { background: #fff; font-size: 12px; }
  .sheet { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  section { break-inside: auto; }
  figure, .card, .stat, table { break-inside: avoid; }
  /* Paper cannot scroll: wide tables (several polling intervals) shrink and wrap to the A4 width instead. */
  .table-wrap { overflow: visible; }
  table { font-size: 11px; }
  th { font-size: 10px; }
  th, td { padding: 5px 6px; }
  td.num, th.num { white-space: normal; }
  .assumptions-table code { white-space: normal; word-break: break-word; }
  .assumptions-table td:nth-child(2) { min-width: 0; }
  table .small { font-size: .9em; }
}
`;
