// `krepro bisect`: start or resume a bisection, print its answer, and pick the
// exit code (0 a checked culprit commit, first bad version or checked culprit options; 1 none or not confirmed;
// 130 interrupted — the CLI adds 2 and 3).
import type { Writable } from 'node:stream';
import { resumeBisection, startBisection, type BisectOptions } from './bisect.js';
import { answerOf } from './oracle.js';
import { checkSummary } from './verify.js';

export async function bisectCommand(o: BisectOptions | { resume: string }, out: Writable): Promise<number> {
  const r = 'resume' in o ? await resumeBisection(o.resume) : await startBisection(o);
  const s = r.state;
  if (r.interrupted) return 130;
  if (s.firstBad) {
    const { version: b, lastGood: g } = s.firstBad;
    out.write(`${b.version} is the first bad version\n    ${b.package ?? ''} ${b.debVersion ?? ''} (${b.suite ?? ''})\n    last good: ${g.version} (${g.debVersion ?? ''})\n`);
    const k = s.confidence;
    if (k) out.write(`confidence ${(k.value * 100).toFixed(1)}% (reproduction rate ${k.reproductions}/${k.attempts}); ${s.points.length} points\n`);
  } else if (s.configCulprit?.verified) {
    const k = s.configCulprit;
    const named = k.roots.length ? k.roots : k.changes.map((c) => c.symbol);
    const rest = k.changes.map((c) => c.symbol).filter((x) => !named.includes(x));
    out.write(`${named.map((x) => `CONFIG_${x}`).join(' ')} ${named.length === 1 ? 'is the culprit option' : 'are the culprit options'}${rest.length ? ` (Kconfig sets ${rest.map((x) => `CONFIG_${x}`).join(' ')} with ${named.length === 1 ? 'it' : 'them'})` : ''}\n`);
    for (const c of k.changes) out.write(`    CONFIG_${c.symbol}: ${c.good} (good) -> ${c.bad} (bad)\n`);
    out.write(`    checked: good + these fails (${k.failsWith}), bad - these passes (${k.withoutThem.point})\n`);
    const q = s.confidence;
    if (q) out.write(`confidence ${(q.value * 100).toFixed(1)}% (reproduction rate ${q.reproductions}/${q.attempts}); ${s.points.length} points\n`);
  } else if (s.culprit) {
    const k = s.confidence;
    out.write(`${s.culprit.commit} is the first ${s.fix ? 'fixed' : 'bad'} commit\n    ${s.culprit.subject}\n    ${s.culprit.author}, ${s.culprit.date}\n`);
    const c = s.culpritCheck;
    if (c) out.write(`${c.verified ? 'checked' : 'NOT CONFIRMED'}: ${checkSummary(c)}${c.doubts.length ? `\n    ${c.doubts.join('\n    ')}` : ''}\n`);
    if (k) out.write(`confidence ${(k.value * 100).toFixed(1)}% (reproduction rate ${k.reproductions}/${k.attempts}); ${s.points.length} points\n`);
  } else {
    out.write(`no culprit: ${s.stopped ?? s.status}\n`);
    if (s.candidates) out.write(s.candidates.map((c) => `    ${c}\n`).join(''));
  }
  out.write(`${r.dir}/bisect.md\n`);
  return answerOf(s).found ? 0 : 1;
}
