// The job summary a CI page shows (GitHub's $GITHUB_STEP_SUMMARY, a GitLab MR
// note): what changed since the baseline — new failures, fixed cells, flaky
// cells, errors — as one markdown table. Invariant: the text never exceeds
// `maxBytes` (GitHub refuses a step summary over 1 MiB and shows nothing):
// rows are cut whole, most important first, and the cut is said.
import type { CellClass, CellSummary, MatrixSummary } from './types.js';
import { duration, isNews } from './html.js';

/** GitHub's limit for one step's summary is 1 MiB; stay under it with room for a line or two of the caller's. */
export const SUMMARY_MAX_BYTES = 1_000_000;

/** Longest crash title or message kept in a table cell. */
const CELL_TEXT_MAX = 300;

/** Text safe inside a markdown table cell: one line, HTML and markdown punctuation neutral. */
export function mdCell(s: string, max = CELL_TEXT_MAX): string {
  const one = s.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** The rows of the table, in the order they matter: news, fixed, flaky, errors. */
const ROWS: Array<{ label: string; take: (c: CellSummary) => boolean }> = [
  { label: 'new failure', take: isNews },
  { label: 'fixed', take: (c) => c.class === 'fixed' },
  { label: 'flaky', take: (c) => c.class === 'flaky' },
  { label: 'error', take: (c) => c.class === 'error' },
];

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');

function row(label: string, c: CellSummary): string {
  const what = c.crash?.title ?? (c.verdict === 'passed' ? '' : c.message.split('\n')[0] ?? '');
  const was = [c.baseline ? `${c.baseline.verdict} ${c.baseline.rate}` : c.class === 'new-cell' ? 'new cell' : '',
    c.history ? `failed ${c.history.failed}/${c.history.nights} nights${c.history.firstSeen ? ` since ${c.history.firstSeen}` : ''}` : ''].filter(Boolean).join('; ');
  const rate = c.retried ? `${c.rate} (retried ${c.retried}×)` : c.rate;
  return `| ${label} | ${mdCell(c.id)} | ${c.verdict} | ${rate} | ${mdCell(was)} | ${mdCell(what)} |\n`;
}

/** The summary as markdown, at most `maxBytes` long (UTF-8). */
export function summaryMarkdown(s: MatrixSummary, opts: { maxBytes?: number } = {}): string {
  const maxBytes = opts.maxBytes ?? SUMMARY_MAX_BYTES;
  const count = (k: CellClass) => s.totals.classes[k] ?? 0;
  const news = s.cells.filter(isNews).length;
  const head = [
    `## krepro ${mdCell(s.matrix.name)}: ${news ? `${news} new failure${news === 1 ? '' : 's'}` : 'nothing new'}\n\n`,
    `**${s.totals.cells}** of ${s.matrix.cells} cells: ${s.totals.passed} passed, ${s.totals.failed} failed, ${s.totals.error} error — `,
    `${news} new, ${count('fixed')} fixed, ${count('flaky')} flaky, ${count('still-failing')} still failing, ${count('known')} known; `,
    `exit status ${s.exitCode}; ${duration(s.run.durationMs)}`,
    `${s.run.merged?.length ? ` (merged from ${s.run.merged.length} report${s.run.merged.length === 1 ? '' : 's'})` : ''}.\n`,
    s.baseline ? `Compared with ${mdCell(s.baseline)}.\n` : 'No baseline: every cell is new.\n',
    ...s.notes.map((n) => `> ${mdCell(n)}\n`),
  ].join('');
  const rows = ROWS.flatMap((r) => s.cells.filter(r.take).map((c) => row(r.label, c)));
  const tableHead = '\n| | cell | now | rate | before | crash or message |\n|---|---|---|---|---|---|\n';
  const tail = '\nThe whole grid, with each cell\'s console and step outputs: report.html beside summary.json.\n';
  if (!rows.length) return fit(`${head}\nNo new failure, fixed, flaky or errored cell.\n${tail}`, maxBytes);

  const cutNote = (left: number) => `\n**${left} more row${left === 1 ? '' : 's'} not shown** (kept under ${maxBytes} bytes for the job summary).\n`;
  let out = head + tableHead;
  let size = byteLength(out);
  // Reserve room for the longest cut note, so the cut itself never pushes the text over.
  const budget = maxBytes - byteLength(tail) - byteLength(cutNote(rows.length));
  let shown = 0;
  for (const r of rows) {
    const n = byteLength(r);
    if (size + n > budget) break;
    out += r;
    size += n;
    shown++;
  }
  if (shown < rows.length) out += cutNote(rows.length - shown);
  return fit(out + tail, maxBytes);
}

/** A last guard for absurdly small limits: cut at a character boundary. */
function fit(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  const buf = Buffer.from(text, 'utf8').subarray(0, maxBytes);
  // Drop a partial UTF-8 sequence at the end.
  return buf.toString('utf8').replace(/\ufffd$/, '');
}
