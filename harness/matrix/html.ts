// report.html: the matrix report for people, one file beside summary.json —
// the grid scenario × kernel × ZFS with verdicts, rates, crash titles and
// timings, crash signatures counted across cells, and relative links to each
// attempt's evidence. Built from the summary plus what each attempt directory
// holds (a link is written only to a file that exists). Invariant: every text
// is escaped (crash titles come from kernel consoles) and nothing is loaded
// from elsewhere — the CSS and the filter script are inline, and the script
// reads only data- attributes, never text spliced into code.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../results/atomic.js';
import type { ScenarioResult } from '../results/types.js';
import type { CellClass, CellSummary, MatrixSummary } from './types.js';

/** What one attempt directory holds that the report links to. */
export interface AttemptEvidence {
  /** Evidence files present in the directory (console.log, result.json, qmp.jsonl). */
  files: string[];
  /** Steps whose output file exists: path relative to the attempt directory. */
  steps: Array<{ index: number; label: string; status: string; output: string }>;
}

/** Attempt directory (relative to the report, as in `CellSummary.dirs`) → its evidence. */
export type Evidence = Map<string, AttemptEvidence>;

export const EVIDENCE_FILES = ['console.log', 'result.json', 'qmp.jsonl'] as const;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in HTML content and quoted attributes; control characters (console noise) shown as U+FFFD. */
export function esc(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}

/** A relative href from path segments: each segment percent-encoded (cell ids hold '=', cmdlines ',' and more). */
export function relHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A cell that pages people: the same rule as the exit status. */
export const isNews = (c: Pick<CellSummary, 'class' | 'verdict'>): boolean =>
  c.class === 'new-failure' || (c.class === 'new-cell' && c.verdict === 'failed');

export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}

const CLASS_TEXT: Record<CellClass, string> = {
  'new-failure': 'new failure', 'fixed': 'fixed', 'still-failing': 'still failing', 'known': 'known',
  'flaky': 'flaky', 'new-cell': 'new cell', 'passing': 'passing', 'error': 'error',
};

interface Column { key: string; kernel: string; zfs: string }
interface Row { key: string; scenario: string; name: string; cmdline: string[] | undefined }

const kernelOf = (c: CellSummary) => c.axes.kernel ?? '';
const colKey = (c: CellSummary) => JSON.stringify([kernelOf(c), c.axes.zfs ?? '']);
const rowKey = (c: CellSummary) => JSON.stringify([c.scenario, c.axes.cmdline ?? null]);

/** Columns: kernels in matrix order, each kernel's ZFS versions in matrix order. */
function columnsOf(cells: CellSummary[]): Column[] {
  const kernels: string[] = [];
  const byKernel = new Map<string, string[]>();
  for (const c of cells) {
    const k = kernelOf(c);
    if (!byKernel.has(k)) {
      kernels.push(k);
      byKernel.set(k, []);
    }
    const zs = byKernel.get(k)!;
    if (!zs.includes(c.axes.zfs ?? '')) zs.push(c.axes.zfs ?? '');
  }
  return kernels.flatMap((k) => byKernel.get(k)!.map((z) => ({ key: JSON.stringify([k, z]), kernel: k, zfs: z })));
}

function rowsOf(cells: CellSummary[]): Row[] {
  const rows = new Map<string, Row>();
  for (const c of cells) if (!rows.has(rowKey(c))) rows.set(rowKey(c), { key: rowKey(c), scenario: c.scenario, name: c.name, cmdline: c.axes.cmdline });
  return [...rows.values()];
}

const kernelText = (k: string) => k || "scenario's kernel";
const safeLink = (url: string, text: string) =>
  /^https?:\/\//.test(url) ? `<a href="${esc(url)}">${esc(text)}</a>` : esc(text);

function attemptHtml(dir: string, verdict: string | undefined, n: number, ev: AttemptEvidence | undefined): string {
  const files = ev?.files ?? [];
  const links = EVIDENCE_FILES.map((f) => (files.includes(f)
    ? `<a class="ev" href="${esc(relHref(`${dir}/${f}`))}">${f.replace(/\.(log|json|jsonl)$/, '')}</a>`
    : `<span class="missing" title="${esc(`${dir}/${f} is missing`)}">no ${f}</span>`)).join(' ');
  const steps = ev?.steps.length
    ? `<details><summary>${ev.steps.length} step output${ev.steps.length === 1 ? '' : 's'}</summary><ul>${ev.steps.map((s) =>
      `<li class="st-${esc(s.status)}"><a class="ev" href="${esc(relHref(`${dir}/${s.output}`))}">${s.index}. ${esc(s.label)}</a> <span class="dim">${esc(s.status)}</span></li>`).join('')}</ul></details>`
    : '';
  return `<li><span class="v-${esc(verdict ?? 'unknown')}">#${n} ${esc(verdict ?? '?')}</span> ${links}${steps}</li>`;
}

/** "failed 3 of 14 nights, first seen 2026-11-20, last passed 2026-12-01". */
export function historyText(h: NonNullable<CellSummary['history']>): string {
  return [`failed ${h.failed} of ${h.nights} night${h.nights === 1 ? '' : 's'}`, h.firstSeen && `first seen ${h.firstSeen}`, h.lastPassed && `last passed ${h.lastPassed}`]
    .filter(Boolean).join(', ');
}

function cellHtml(c: CellSummary, col: Column, evidence: Evidence): string {
  const what = c.crash?.title ?? (c.verdict === 'passed' ? '' : c.message.split('\n')[0] ?? '');
  const known = c.known ? `<div class="known">known: ${safeLink(c.known.link, c.known.link.replace(/^https?:\/\//, ''))}${c.known.intermittent ? ' (intermittent)' : ''}</div>` : '';
  const expired = c.expiredKnown ? `<div class="known">known entry expired ${esc(c.expiredKnown.expires)}: ${safeLink(c.expiredKnown.link, c.expiredKnown.link.replace(/^https?:\/\//, ''))}</div>` : '';
  const before = c.baseline ? `<span class="dim" title="in the baseline">was ${esc(c.baseline.verdict)} ${esc(c.baseline.rate)}</span>` : '';
  const attempts = c.dirs.map((d, i) => attemptHtml(d, c.attemptVerdicts[i], i + 1, evidence.get(d))).join('');
  return `<td class="cell v-${esc(c.verdict)} c-${esc(c.class)}" id="cell-${c.index}" data-cell="${esc(c.id)}" data-kernel="${esc(col.kernel)}" data-verdict="${esc(c.verdict)}" data-class="${esc(c.class)}" data-news="${isNews(c) ? 1 : 0}" title="${esc(c.id)}">`
    + `<div class="head"><b class="verdict">${esc(c.verdict.toUpperCase())}</b> <span class="rate" title="failed attempts / attempts">${esc(c.rate)}</span> <span class="class">${esc(CLASS_TEXT[c.class] ?? c.class)}</span></div>`
    + (what ? `<div class="what">${c.crash ? `<span class="dim">${esc(c.crash.kind)}:</span> ` : c.reason ? `<span class="dim">${esc(c.reason)}:</span> ` : ''}${esc(what)}</div>` : '')
    + known + expired
    + (c.retried ? `<div class="dim retried">retried ${c.retried}× before judging</div>` : '')
    + (c.history ? `<div class="dim history" title="earlier nights (--history)">${historyText(c.history)}</div>` : '')
    + (c.bundle ? `<div class="bundle"><a class="ev" href="${esc(relHref(c.bundle))}">bug bundle</a></div>` : '')
    + (c.bisect ? `<div class="bisect">bisect: ${c.bisect.culprit ? `first bad commit <code>${esc(c.bisect.culprit.commit.slice(0, 12))}</code> ${esc(c.bisect.culprit.subject)}` : esc(c.bisect.status)}${c.bisect.why ? ` <span class="dim">${esc(c.bisect.why)}</span>` : ''}${c.bisect.dir ? ` <a class="ev" href="${esc(relHref(`${c.bisect.dir}/bisect.md`))}">bisect.md</a>` : ''}</div>` : '')
    + `<div class="dim">${duration(c.durationMs)} ${before}</div>`
    + `<ol class="attempts">${attempts}</ol></td>`;
}

function gridHtml(s: MatrixSummary, evidence: Evidence): string {
  const cols = columnsOf(s.cells);
  const rows = rowsOf(s.cells);
  const at = new Map(s.cells.map((c) => [`${rowKey(c)}|${colKey(c)}`, c]));
  const kernels = [...new Set(cols.map((c) => c.kernel))];
  const head1 = kernels.map((k) => `<th colspan="${cols.filter((c) => c.kernel === k).length}" data-kernel="${esc(k)}">${esc(kernelText(k))}</th>`).join('');
  const head2 = cols.map((c) => `<th data-kernel="${esc(c.kernel)}">${c.zfs ? `zfs ${esc(c.zfs)}` : '<span class="dim">no zfs axis</span>'}</th>`).join('');
  const body = rows.map((r) => {
    const label = `<th class="row"><div>${esc(r.scenario)}</div>${r.cmdline ? `<div class="dim">cmdline: ${r.cmdline.length ? esc(r.cmdline.join(' ')) : '(none)'}</div>` : ''}${r.name !== r.scenario ? `<div class="dim">${esc(r.name)}</div>` : ''}</th>`;
    const tds = cols.map((col) => {
      const c = at.get(`${r.key}|${col.key}`);
      return c ? cellHtml(c, col, evidence) : `<td class="none" data-kernel="${esc(col.kernel)}">·</td>`;
    }).join('');
    return `<tr>${label}${tds}</tr>`;
  }).join('\n');
  return `<table class="grid"><thead><tr><th rowspan="2">scenario</th>${head1}</tr><tr>${head2}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function signaturesHtml(s: MatrixSummary): string {
  if (!s.signatures.length) return '<p class="dim">No crash in any cell.</p>';
  const byId = new Map(s.cells.map((c) => [c.id, c]));
  const items = s.signatures.map((g) => `<li class="sig" data-signature="${esc(g.signature)}"><b>${esc(g.title)}</b> <span class="dim">${esc(g.kind)}, signature ${esc(g.signature)}${g.firstSeen ? `, first seen ${esc(g.firstSeen)}` : ''}</span> — in <b>${g.cells.length}</b> cell${g.cells.length === 1 ? '' : 's'}: `
    + g.cells.map((id) => {
      const c = byId.get(id);
      return c ? `<a href="#cell-${c.index}">${esc(id)}</a>` : esc(id);
    }).join(', ')
    + '</li>');
  return `<ul class="sigs">${items.join('\n')}</ul>`;
}

function headerHtml(s: MatrixSummary): string {
  const classes = (Object.keys(CLASS_TEXT) as CellClass[]).filter((k) => s.totals.classes[k]).map((k) => `${s.totals.classes[k]} ${CLASS_TEXT[k]}`).join(', ');
  const run = s.run;
  const cellTime = s.cells.reduce((n, c) => n + c.durationMs, 0);
  const slowest = [...s.cells].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5)
    .map((c) => `<li><a href="#cell-${c.index}">${esc(c.id)}</a> ${duration(c.durationMs)}</li>`).join('');
  const facts = [
    `<b>${s.totals.cells}</b> of ${s.matrix.cells} cells: ${s.totals.passed} passed, ${s.totals.failed} failed, ${s.totals.error} error (${classes || 'none'}); exit status ${s.exitCode}`,
    `run ${esc(run.startedAt)} → ${esc(run.finishedAt)}: ${duration(run.durationMs)}${run.jobs ? `, ${run.jobs} at once` : ''}; cells took ${duration(cellTime)} in all`
      + (run.merged?.length ? `; merged from ${run.merged.length} shard report${run.merged.length === 1 ? '' : 's'}` : '')
      + (s.shard ? `; shard ${s.shard.index}/${s.shard.total}` : ''),
    s.baseline ? `compared with the baseline ${esc(s.baseline)}` : 'no baseline: every cell is new',
  ];
  const notes = [...s.notes.map(esc), ...s.impossible.map((i) => `not a cell: ${esc(i.scenario)} × ${esc(i.axis)} ${esc(i.values.join(', '))}: ${esc(i.reason)}`)];
  return `<h1>${esc(s.matrix.name)}</h1><p class="dim">${esc(s.matrix.file)}</p>`
    + `<ul class="facts">${facts.map((f) => `<li>${f}</li>`).join('')}</ul>`
    + (notes.length ? `<ul class="notes">${notes.map((n) => `<li>${n}</li>`).join('')}</ul>` : '')
    + (slowest ? `<details><summary>slowest cells</summary><ol>${slowest}</ol></details>` : '');
}

function filtersHtml(s: MatrixSummary): string {
  const kernels = [...new Set(s.cells.map(kernelOf))];
  return `<form id="filters" onsubmit="return false">`
    + `<label><input type="checkbox" id="f-news"> new failures only</label> `
    + `<label><input type="checkbox" id="f-failing"> failing only</label> `
    + `<label>kernel <select id="f-kernel"><option value="*">all</option>${kernels.map((k) => `<option value="${esc(k)}">${esc(kernelText(k))}</option>`).join('')}</select></label> `
    + `<span id="shown">${s.cells.length} of ${s.cells.length} cells shown</span></form>`;
}

const CSS = `
body{font:14px/1.35 system-ui,sans-serif;margin:1.2em;color:#1b1b1b}
h1{font-size:1.4em;margin:0}h2{font-size:1.15em;margin:1.2em 0 .4em}
.dim{color:#666;font-size:.9em}.missing{color:#999;font-size:.85em}
table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #ccc;padding:.3em .45em;vertical-align:top}
th.row{text-align:left;min-width:12em}td.cell{min-width:13em;max-width:26em}td.none{color:#bbb;text-align:center}
td.v-passed{background:#eef8ee}td.v-failed{background:#fdecea}td.v-error{background:#fff4dc}
td.c-known{background:#f1f1f7}td.c-flaky{background:#fff9e0}td.c-new-failure{outline:3px solid #c62828;outline-offset:-3px}
.what{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-word;margin:.2em 0}
ol.attempts{margin:.2em 0;padding-left:0;list-style:none;font-size:.85em}ol.attempts ul{margin:.1em 0;padding-left:1.2em}
.v-failed>.head .verdict,span.v-failed{color:#b71c1c}.v-passed>.head .verdict,span.v-passed{color:#1b5e20}.v-error>.head .verdict,span.v-error{color:#8d5a00}
td.filtered{visibility:hidden}[hidden]{display:none!important}
#filters{margin:.8em 0;padding:.4em;background:#f5f5f5}#shown{margin-left:1em;color:#444}
`;

// Filters set `hidden` on columns (kernel) and rows with nothing left, and the
// `filtered` class on other cells (the grid keeps its shape).
const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const apply = () => {
    const news = $('f-news').checked, failing = $('f-failing').checked, kernel = $('f-kernel').value;
    let shown = 0;
    for (const el of document.querySelectorAll('table.grid [data-kernel]')) el.hidden = kernel !== '*' && el.dataset.kernel !== kernel;
    for (const td of document.querySelectorAll('td.cell')) {
      const ok = !td.hidden && (!news || td.dataset.news === '1') && (!failing || td.dataset.verdict !== 'passed');
      td.classList.toggle('filtered', !ok);
      if (ok) shown++;
    }
    for (const tr of document.querySelectorAll('table.grid tbody tr')) tr.hidden = !tr.querySelector('td.cell:not(.filtered):not([hidden])');
    $('shown').textContent = shown + ' of ' + document.querySelectorAll('td.cell').length + ' cells shown';
  };
  for (const id of ['f-news', 'f-failing', 'f-kernel']) $(id).addEventListener('change', apply);
  apply();
})();
`;

/** The whole report page (pure). */
export function matrixHtml(s: MatrixSummary, evidence: Evidence): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>krepro matrix: ${esc(s.matrix.name)}</title><style>${CSS}</style></head>
<body>
${headerHtml(s)}
<h2>Cells</h2>
${filtersHtml(s)}
${s.cells.length ? gridHtml(s, evidence) : '<p>No cell ran.</p>'}
<h2>Crash signatures</h2>
${signaturesHtml(s)}
<script>${SCRIPT}</script>
</body></html>
`;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** What each attempt directory of the report in `dir` holds: evidence files, and step outputs named in its result.json. */
export async function readEvidence(dir: string, s: MatrixSummary): Promise<Evidence> {
  const evidence: Evidence = new Map();
  for (const d of s.cells.flatMap((c) => c.dirs)) {
    const abs = join(dir, d);
    const files: string[] = [];
    for (const f of EVIDENCE_FILES) if (await exists(join(abs, f))) files.push(f);
    const steps: AttemptEvidence['steps'] = [];
    if (files.includes('result.json')) {
      // An unreadable result.json is still linked; only its step list is lost.
      const r = await readFile(join(abs, 'result.json'), 'utf8').then((t) => JSON.parse(t) as Partial<ScenarioResult>, () => undefined);
      for (const st of Array.isArray(r?.steps) ? r.steps : []) {
        if (typeof st.output === 'string' && await exists(join(abs, st.output))) {
          steps.push({ index: st.index, label: st.label, status: st.status, output: st.output });
        }
      }
    }
    evidence.set(d, { files, steps });
  }
  return evidence;
}

/** Write report.html beside the summary in `dir`; returns its path. */
export async function writeMatrixHtml(dir: string, s: MatrixSummary): Promise<string> {
  const file = join(dir, 'report.html');
  await writeAtomic(file, matrixHtml(s, await readEvidence(dir, s)));
  return file;
}
