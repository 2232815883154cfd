"""The page around the drill report (reports.html fills it): one self-contained HTML document, its CSS
inline, for the screen and for A4 paper. No external stylesheet, script, font or image."""

from __future__ import annotations

from string import Template

CSS = """
:root { --ink: #111; --muted: #555; --rule: #d0d4d9; --band: #f4f6f8;
  --ok: #1e7b34; --bad: #b3261e; --warn: #a15c00; --info: #1a5fb4; --grey: #6b6b6b; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { background: #fff; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--ink); background: #fff;
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
header.report { border-bottom: 3px solid var(--ink); padding-bottom: 10px; margin-bottom: 16px; }
.kicker { font-size: 12px; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); margin: 0; }
h1 { font-size: 26px; margin: 2px 0 4px; line-height: 1.2; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0; font-size: 13px; overflow-wrap: anywhere; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: .92em; }
.tag { display: inline-block; border: 1px solid currentColor; border-radius: 3px; padding: 0 6px;
  font-size: 12px; font-weight: 600; letter-spacing: .04em; vertical-align: middle; }
.provisional { margin: 10px 0 0; padding: 6px 10px; border-left: 4px solid var(--info); background: #eef4fb; }
.outcome { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.15fr); gap: 18px; align-items: start; }
.status { font-size: 18px; font-weight: 700; margin: 0 0 8px; }
.status-green { color: var(--ok); } .status-red { color: var(--bad); } .status-orange { color: var(--warn); }
.status-blue { color: var(--info); } .status-yellow { color: var(--warn); } .status-grey { color: var(--grey); }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 14px; margin: 0; font-size: 13px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict { border: 2px solid var(--grey); border-radius: 6px; padding: 12px 16px; background: #fafafa; }
.verdict .headline { font-size: 24px; font-weight: 800; letter-spacing: .02em; margin: 0 0 2px; }
.verdict p.why { margin: 0 0 10px; }
.verdict-met { border-color: var(--ok); background: #eef7f0; } .verdict-met .headline { color: var(--ok); }
.verdict-missed { border-color: var(--bad); background: #fbefee; } .verdict-missed .headline { color: var(--bad); }
.verdict-progress { border-color: var(--info); background: #eef4fb; } .verdict-progress .headline { color: var(--info); }
.verdict-none .headline { color: #333; }
.metrics { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; margin: 0; }
.metrics div { background: #fff; border: 1px solid var(--rule); border-radius: 4px; padding: 6px 8px; }
.metrics dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.metrics dd { margin: 0; font-size: 17px; font-weight: 700; font-variant-numeric: tabular-nums; }
.metrics dd small { display: block; font-size: 11px; font-weight: 400; color: var(--muted); }
ul.summary { margin: 10px 0 0; padding-left: 18px; } ul.summary li { margin: 2px 0; }
figure.chart { margin: 6px 0 0; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 8px 0 0; font-size: 12px; }
ul.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 10px; border: 1px solid rgba(0,0,0,.35); }
.swatch.line { height: 0; border: 0; border-top: 2px solid; width: 18px; }
.swatch.dashed { border-top-style: dashed; }
.swatch.mark { width: 4px; height: 12px; border: 0; }
table { width: 100%; border-collapse: collapse; font-size: 12.5px; margin: 4px 0 8px; }
caption { text-align: left; font-size: 12px; color: var(--muted); padding: 2px 0 4px; caption-side: top; }
th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid var(--rule); }
thead th { background: var(--band); border-bottom: 2px solid #9aa1a9; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.wrap { overflow-wrap: anywhere; }
td.err { color: var(--bad); overflow-wrap: anywhere; }
td .small, .small { font-size: 11px; color: var(--muted); }
.st { font-weight: 600; white-space: nowrap; }
.st-COMPLETED, .st-LAUNCHED, .st-MET, .st-SUCCEEDED, .st-READY { color: var(--ok); }
.st-FAILED, .st-MISSED, .st-TIMED_OUT { color: var(--bad); }
.st-SKIPPED { color: var(--warn); }
.st-RETRY_SCHEDULED, .st-NOT_READY { color: var(--warn); }
.st-CANCELLED, .st-NOT_STARTED, .st-TERMINATED, .st-PENDING, .st-NOT_LAUNCHED { color: var(--grey); }
.st-IN_PROGRESS, .st-RUNNING { color: var(--info); }
table.waves td:nth-child(2) { min-width: 7em; } table.waves td:nth-child(3) { max-width: 16em; }
table.runbook, table.approvals { table-layout: fixed; }
table.runbook th:nth-child(1) { width: 5%; } table.runbook th:nth-child(2) { width: 21%; }
table.runbook th:nth-child(3) { width: 11%; } table.runbook th:nth-child(4) { width: 7%; }
table.runbook th:nth-child(5), table.runbook th:nth-child(6) { width: 8%; }
table.runbook th:nth-child(7) { width: 7%; } table.runbook td { overflow-wrap: anywhere; }
table.approvals th:nth-child(1) { width: 5%; } table.approvals th:nth-child(2) { width: 17%; }
table.approvals th:nth-child(3) { width: 11%; } table.approvals th:nth-child(4),
table.approvals th:nth-child(5) { width: 9%; } table.approvals th:nth-child(6) { width: 7%; }
table.approvals th:nth-child(7) { width: 22%; } table.approvals td { overflow-wrap: anywhere; }
.errtext { color: var(--bad); } .approval { font-weight: 600; } .comment { font-style: italic; }
pre.output { margin: 4px 0 0; padding: 4px 6px; background: var(--band); border: 1px solid var(--rule);
  border-radius: 3px; font: 11px/1.35 "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; max-width: 100%; }
ul.plain { margin: 4px 0; padding-left: 18px; } ul.plain li { overflow-wrap: anywhere; }
.errors li { color: var(--bad); }
.none { color: var(--muted); font-style: italic; margin: 4px 0; }
footer { margin-top: 32px; padding-top: 8px; border-top: 1px solid var(--rule); font-size: 11px; color: var(--muted); }
@media (max-width: 860px) { .outcome { grid-template-columns: 1fr; } .metrics { grid-template-columns: repeat(2, 1fr); } }
@page { size: A4; margin: 15mm; }
@media print {
  html, body { background: #fff; color: #000; }
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h1 { font-size: 17pt; } h2 { font-size: 12.5pt; margin-top: 14pt; break-after: avoid; page-break-after: avoid; }
  h3 { font-size: 10.5pt; break-after: avoid; page-break-after: avoid; }
  .outcome { grid-template-columns: minmax(0, 1fr) minmax(0, 1.15fr); gap: 10pt; }
  .verdict, dl.facts, .metrics div, figure.chart, ul.legend { break-inside: avoid; page-break-inside: avoid; }
  figure.chart svg { max-height: 235mm; }
  table { font-size: 7.5pt; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  table.runbook tr, table.runbook td { break-inside: auto; page-break-inside: auto; }
  pre.output { font-size: 7pt; }
  tbody tr:nth-child(even) td { background: #fff; }
  th, td { padding: 2pt 4pt; }
  .sub, .small, caption, figcaption, footer, dl.facts dt, .metrics dt { color: #333; }
}
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="DRS Orchestrator drill report (schema $schema_version)">
<title>$title</title>
<style>$css</style>
</head>
<body>
$body
</body>
</html>
"""
)
