// bisect.md: what a person reads — the answer (commit, subject, author, date),
// how sure it is and which points decided it, the failing console excerpt, a
// table of every point, and git's own bisect log. Pure but for the excerpt read.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../results/types.js';
import type { BisectState, PointRecord } from './types.js';
import { checkSummary } from './verify.js';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function pointRow(p: PointRecord, i: number): string {
  const c = p.counts;
  const counts = `${c.reproduced} bad / ${c.clean} clean / ${c.other} other / ${c.error} error`;
  const build = !p.build ? '—' : p.build.builder === 'kernel' ? `${p.build.hash.slice(0, 12)} ${p.build.kernel.identity}`
    : `${p.build.hash.slice(0, 12)} ${Object.entries(p.build.srcversions).map(([m, v]) => `${m}@${v || '-'}`).join(' ')}`;
  return `| ${i + 1} | \`${/^[0-9a-f]{40}$/.test(p.commit) ? p.commit.slice(0, 12) : p.commit}\` ${p.subject.replace(/\|/g, '\\|')} | ${p.role} | **${p.verdict}** | ${counts} | ${p.why.replace(/\|/g, '\\|')} | ${build} | ${secs(p.buildMs)} + ${secs(p.durationMs - p.buildMs)} |`;
}

/** The failing console excerpt of the culprit's first reproduction (from its result.json). */
export async function culpritExcerpt(dir: string, s: BisectState): Promise<string | undefined> {
  const culprit = s.culprit?.commit ?? s.firstBad?.version.version ?? s.configCulprit?.failsWith;
  const p = s.points.find((x) => x.commit === culprit && x.verdict === 'bad');
  const a = p?.attempts.find((x) => x.class === 'reproduced');
  if (!a) return undefined;
  const r = JSON.parse(await readFile(join(dir, a.dir, 'result.json'), 'utf8').catch(() => '{}')) as Partial<ScenarioResult>;
  const c = r.crashes?.find((x) => x.title === s.reference?.title) ?? r.crashes?.[0];
  return c?.excerpt ?? r.message;
}

/** A version or config search's log in git bisect log's shape: one line per point, in the order they ran. */
export function versionLog(s: BisectState): string {
  const v = new Map((s.versions?.list ?? []).map((x) => [x.version, x]));
  return s.points.map((p) => {
    const e = v.get(p.commit);
    const what = p.config ? `${p.subject}; applied: ${p.config.effective.join(' ') || 'nothing'}` : `${e?.package ?? ''} ${e?.debVersion ?? ''}`;
    return `# ${p.verdict}: [${p.commit}] ${what}${p.role === 'step' ? '' : ` (${p.role})`}`;
  }).join('\n');
}

export function bisectMarkdown(s: BisectState, gitLog: string, excerpt: string | undefined): string {
  const out: string[] = [`# krepro bisect: ${s.scenario}`, ''];
  if (s.target) {
    out.push(`${s.fix ? 'The fix, among commits' : 'Commits'} of \`${s.target.repo}\`${s.target.subdir ? ` (${s.target.subdir}/)` : ''} through the \`${s.target.builder}\` builder; good \`${s.good.slice(0, 12)}\`, bad \`${s.bad.slice(0, 12)}\`; ${s.runs} run(s) per point${s.target.paths.length ? `; paths: ${s.target.paths.join(' ')}` : ''}.`, '');
  } else if (s.versions) {
    const v = s.versions;
    out.push(`Versions of \`${v.field}\` (${v.from === 'archive' ? "Debian's archive, in dpkg's version order" : 'as given by --versions'}): ${v.list.length} from good \`${s.good}\` to bad \`${s.bad}\`; ${s.runs} run(s) per point.`, '');
  } else if (s.config) {
    const c = s.config;
    out.push(`Kernel configurations: good = base + ${c.goodFragments.map((f) => `\`${f}\``).join(' + ')}, bad = base + ${c.badFragments.map((f) => `\`${f}\``).join(' + ')}; ${c.changes.length} option(s) differ after olddefconfig; ddmin over them, ${s.runs} run(s) per point.`, '');
  }
  out.push('## Result', '');
  if (s.firstBad) {
    const { version: b, lastGood: g } = s.firstBad;
    out.push(`**First bad version: \`${b.version}\`**`, '', `- package: ${b.package ?? '?'} ${b.debVersion ?? ''} (${b.suite ?? '?'})`, `- last good before it: \`${g.version}\` (${g.package ?? '?'} ${g.debVersion ?? ''}, ${g.suite ?? '?'})`);
  } else if (s.configCulprit?.verified) {
    const k = s.configCulprit;
    out.push(`**Culprit options (${k.changes.length}):**`, '', ...k.changes.map((c) => `- \`CONFIG_${c.symbol}\`: ${c.good} (good) → ${c.bad} (bad)${k.roots.length && !k.roots.includes(c.symbol) ? ' — set by Kconfig with the others' : ''}`), '',
      ...(k.roots.length ? [`Setting ${k.roots.map((x) => `\`CONFIG_${x}\``).join(' and ')} alone brings the whole set.`, ''] : []),
      `Checked both ways: the good config plus these fails (point \`${k.failsWith}\`); the bad config with their good values passes (point \`${k.withoutThem.point}\`).`);
  } else if (s.culprit) {
    out.push(`**First ${s.fix ? 'fixed' : 'bad'} commit: \`${s.culprit.commit}\`**`, '', `- subject: ${s.culprit.subject}`, `- author: ${s.culprit.author}`, `- date: ${s.culprit.date}`);
    const c = s.culpritCheck;
    if (c) out.push(`- ${c.verified ? 'checked' : '**not confirmed**'}: ${checkSummary(c)}`, ...c.doubts.map((d) => `  - ${d}`));
  } else if (s.candidates?.length) {
    out.push(`Only skipped ${s.target ? 'commits' : 'versions'} are left: the first bad ${s.target ? 'commit' : 'version'} is one of`, '', ...s.candidates.map((c) => `- \`${c}\``));
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
  out.push('', '## Points', '', `| # | ${s.target ? 'commit' : s.config ? 'config' : 'version'} | role | verdict | attempts | why | build (hash, module@srcversion) | build + runs |`, '|---|---|---|---|---|---|---|---|');
  s.points.forEach((p, i) => out.push(pointRow(p, i)));
  if (gitLog) out.push('', s.target ? '## git bisect log' : '## Search log', '', '```', gitLog, '```');
  return `${out.join('\n')}\n`;
}
