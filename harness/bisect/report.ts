// bisect.md: what a person reads — the answer (commit, subject, author, date),
// how sure it is and which points decided it, the failing console excerpt, a
// table of every point, and git's own bisect log. Pure but for the excerpt read.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../results/types.js';
import type { BisectState, PointRecord } from './types.js';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function pointRow(p: PointRecord, i: number): string {
  const c = p.counts;
  const counts = `${c.reproduced} bad / ${c.clean} clean / ${c.other} other / ${c.error} error`;
  const build = p.build ? `${p.build.hash.slice(0, 12)} ${Object.entries(p.build.srcversions).map(([m, v]) => `${m}@${v || '-'}`).join(' ')}` : '—';
  return `| ${i + 1} | \`${p.commit.slice(0, 12)}\` ${p.subject.replace(/\|/g, '\\|')} | ${p.role} | **${p.verdict}** | ${counts} | ${p.why.replace(/\|/g, '\\|')} | ${build} | ${secs(p.buildMs)} + ${secs(p.durationMs - p.buildMs)} |`;
}

/** The failing console excerpt of the culprit's first reproduction (from its result.json). */
export async function culpritExcerpt(dir: string, s: BisectState): Promise<string | undefined> {
  const p = s.points.find((x) => x.commit === s.culprit?.commit && x.verdict === 'bad');
  const a = p?.attempts.find((x) => x.class === 'reproduced');
  if (!a) return undefined;
  const r = JSON.parse(await readFile(join(dir, a.dir, 'result.json'), 'utf8').catch(() => '{}')) as Partial<ScenarioResult>;
  const c = r.crashes?.find((x) => x.title === s.reference?.title) ?? r.crashes?.[0];
  return c?.excerpt ?? r.message;
}

export function bisectMarkdown(s: BisectState, gitLog: string, excerpt: string | undefined): string {
  const out: string[] = [`# krepro bisect: ${s.scenario}`, ''];
  out.push(`Commits of \`${s.target.repo}\`${s.target.subdir ? ` (${s.target.subdir}/)` : ''} through the \`${s.target.builder}\` builder; good \`${s.good.slice(0, 12)}\`, bad \`${s.bad.slice(0, 12)}\`; ${s.runs} run(s) per point${s.target.paths.length ? `; paths: ${s.target.paths.join(' ')}` : ''}.`, '');
  out.push('## Result', '');
  if (s.culprit) {
    out.push(`**First bad commit: \`${s.culprit.commit}\`**`, '', `- subject: ${s.culprit.subject}`, `- author: ${s.culprit.author}`, `- date: ${s.culprit.date}`);
  } else if (s.candidates?.length) {
    out.push('Only skipped commits are left: the first bad commit is one of', '', ...s.candidates.map((c) => `- \`${c}\``));
  } else if (s.stopped) {
    out.push(`No culprit: ${s.stopped}`);
  } else {
    out.push(`In progress (${s.status}).`);
  }
  if (s.confidence) {
    const k = s.confidence;
    out.push('', `Confidence ${(k.value * 100).toFixed(1)}% — reproduction rate ${k.reproductions}/${k.attempts} at bad points; each good point of n clean runs may be a missed reproduction with probability (1-rate)^n.`);
    if (k.decidedBy.length) out.push(`Decided by: ${k.decidedBy.join('; ')}.`);
  }
  if (s.reference) {
    const r = s.reference;
    out.push('', '## Reference failure (recorded at the bad end)', '', `${r.reason}${r.kind ? ` — ${r.kind}: ${r.title} (signature ${r.signature})` : r.step ? ` — ${r.step}` : ''}, from \`${r.dir}\`.`);
  }
  if (excerpt) out.push('', "## The culprit's failing console", '', '```', excerpt.trimEnd(), '```');
  out.push('', '## Points', '', '| # | commit | role | verdict | attempts | why | build (hash, module@srcversion) | build + runs |', '|---|---|---|---|---|---|---|---|');
  s.points.forEach((p, i) => out.push(pointRow(p, i)));
  if (gitLog) out.push('', '## git bisect log', '', '```', gitLog, '```');
  return `${out.join('\n')}\n`;
}
