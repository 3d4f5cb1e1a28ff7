// `krepro bisect`: start or resume a bisection, print its answer, and pick the
// exit code (0 culprit or first bad version found, 1 none, 130 interrupted — the CLI adds 2 and 3).
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
  } else if (s.culprit) {
    const k = s.confidence;
    out.write(`${s.culprit.commit} is the first bad commit\n    ${s.culprit.subject}\n    ${s.culprit.author}, ${s.culprit.date}\n`);
    if (k) out.write(`confidence ${(k.value * 100).toFixed(1)}% (reproduction rate ${k.reproductions}/${k.attempts}); ${s.points.length} points\n`);
  } else {
    out.write(`no culprit: ${s.stopped ?? s.status}\n`);
    if (s.candidates) out.write(s.candidates.map((c) => `    ${c}\n`).join(''));
  }
  out.write(`${r.dir}/bisect.md\n`);
  return s.culprit || s.firstBad ? 0 : 1;
}
