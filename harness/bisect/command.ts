// `krepro bisect`: start or resume a bisection, print its answer, and pick the
// exit code (0 culprit commit, first bad version or verified culprit options found, 1 none, 130 interrupted — the CLI adds 2 and 3).
import type { Writable } from 'node:stream';
import { resumeBisection, startBisection, type BisectOptions } from './bisect.js';

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
    out.write(`${k.changes.map((c) => `CONFIG_${c.symbol}`).join(' ')} ${k.changes.length === 1 ? 'is the culprit option' : 'are the culprit options'}\n`);
    for (const c of k.changes) out.write(`    CONFIG_${c.symbol}: ${c.good} (good) -> ${c.bad} (bad)\n`);
    out.write(`    checked: good + these fails (${k.failsWith}), bad - these passes (${k.withoutThem.point})\n`);
    const q = s.confidence;
    if (q) out.write(`confidence ${(q.value * 100).toFixed(1)}% (reproduction rate ${q.reproductions}/${q.attempts}); ${s.points.length} points\n`);
  } else if (s.culprit) {
    const k = s.confidence;
    out.write(`${s.culprit.commit} is the first bad commit\n    ${s.culprit.subject}\n    ${s.culprit.author}, ${s.culprit.date}\n`);
    if (k) out.write(`confidence ${(k.value * 100).toFixed(1)}% (reproduction rate ${k.reproductions}/${k.attempts}); ${s.points.length} points\n`);
  } else {
    out.write(`no culprit: ${s.stopped ?? s.status}\n`);
    if (s.candidates) out.write(s.candidates.map((c) => `    ${c}\n`).join(''));
  }
  out.write(`${r.dir}/bisect.md\n`);
  return s.culprit || s.firstBad || s.configCulprit?.verified ? 0 : 1;
}
