// Steps: give each its index, label and position, and check the references
// between steps — jobs waited for must have been started earlier, plugged and
// unplugged disks must exist, be on usb, and alternate unplug → plug.

import { isMap, isScalar, type Node as YamlNode } from 'yaml';
import { formatDuration } from './duration.js';
import { describeFault, resolveFault } from './fault.js';
import type { Item, Out } from './fields.js';
import { checkWaitJobs, resolveParallel } from './parallel.js';
import type { Cx } from './problems.js';
import type { KnownDisks } from './resolve.js';
import type { stepSpec } from './spec.js';
import { didYouMean } from './suggest.js';
import type { Position, Step } from './types.js';

const LABEL_MAX = 60;

/** "run: zpool clear tank": first line, whitespace collapsed, cut at ~60 characters. */
export function label(kind: string, text: string): string {
  const one = `${kind}: ${text.trim().split('\n')[0]!.replace(/\s+/g, ' ')}${text.trim().includes('\n') ? ' …' : ''}`;
  return one.length <= LABEL_MAX ? one : `${one.slice(0, LABEL_MAX - 1)}…`;
}

/** A scalar string under `keys` in a raw node (for steps that failed to parse, and for source text). */
function rawString(node: YamlNode | undefined, ...keys: string[]): string | undefined {
  let n: unknown = node;
  for (const k of keys) n = isMap(n) ? n.get(k, true) : undefined;
  return isScalar(n) && typeof n.value === 'string' ? n.value : undefined;
}

export interface StepDefaults {
  timeoutMs: number;
  exit: number | 'any';
  everyMs: number;
}

export function resolveSteps(
  items: Item<Out<typeof stepSpec>>[],
  disks: KnownDisks, defaults: StepDefaults, cx: Cx,
): Step[] {
  const steps: Step[] = [];
  const jobs = new Map<string, { started: number; waited?: number }>();
  const unplugged = new Map<string, number>(); // disk id → step that unplugged it

  const checkDisk = (id: string, pos: Position, verb: 'unplug' | 'plug'): boolean => {
    if (!disks.has(id)) {
      const hint = didYouMean(id, disks.keys()) || (disks.size ? `; disks: ${[...disks.keys()].join(', ')}` : '; no disks are defined');
      cx.reportAt(pos, `${verb}: unknown disk '${id}'${hint}`);
      return false;
    }
    const bus = disks.get(id);
    if (bus !== undefined && bus !== 'usb') {
      cx.reportAt(pos, `${verb}: disk '${id}' is on bus ${bus}; only usb disks can be unplugged and plugged`);
      return false;
    }
    return true;
  };

  items.forEach(({ value: s, node }, i) => {
    const index = i + 1;
    if (!s) {
      // Keep its job known, so a bad option on a background step is not also reported at every wait.
      const bg = rawString(node, 'background');
      if (bg !== undefined && !jobs.has(bg)) jobs.set(bg, { started: index });
      return;
    }
    const base = { index, pos: s.value.$pos };
    switch (s.tag) {
      case 'run': {
        const v = s.value;
        if (v.background !== undefined) {
          const prior = jobs.get(v.background);
          if (prior) cx.reportAt(v.$at.background, `job '${v.background}' is already started by step ${prior.started}`);
          else jobs.set(v.background, { started: index });
        }
        steps.push({
          ...base, kind: 'run', label: label('run', v.run), command: v.run,
          expectExit: v['expect-exit'] ?? defaults.exit,
          ...(v.background !== undefined ? { background: v.background } : {}),
          ...(v.timeout !== undefined ? { timeoutMs: v.timeout } : {}),
          ...(v.stdin !== undefined ? { stdin: v.stdin } : {}),
        });
        return;
      }
      case 'wait': {
        const w = s.value.wait;
        const common = { ...base, kind: 'wait' as const, everyMs: defaults.everyMs, timeoutMs: w.value.timeout ?? defaults.timeoutMs };
        if (w.tag === 'job') {
          const name = w.value.job;
          const job = jobs.get(name);
          if (!job) {
            const hint = didYouMean(name, jobs.keys()) || (jobs.size ? `; started so far: ${[...jobs.keys()].join(', ')}` : '');
            cx.reportAt(w.value.$at.job, `wait: no background job '${name}' was started before this step${hint}`);
          } else if (job.waited !== undefined) {
            cx.reportAt(w.value.$at.job, `wait: job '${name}' was already waited for by step ${job.waited}`);
          } else {
            job.waited = index;
          }
          const { progress, stall, every } = w.value;
          if ((progress === undefined) !== (stall === undefined)) {
            cx.reportAt(progress === undefined ? w.value.$at.stall! : w.value.$at.progress!, 'wait: `progress` and `stall` go together (the watchdog needs both)');
          } else if (every !== undefined && progress === undefined) {
            cx.reportAt(w.value.$at.every!, 'wait: `every` on a job wait needs `progress` (it is the watchdog poll interval)');
          }
          steps.push({
            ...common, label: label('wait', `job ${name}${progress !== undefined ? ' (watchdog)' : ''}`), job: name,
            ...(progress !== undefined && stall !== undefined ? { progress, stallMs: stall, everyMs: every ?? 5000 } : {}),
          });
        } else if (w.tag === 'jobs') {
          const names = checkWaitJobs(w.value.jobs, w.value.for, index, jobs, cx);
          steps.push({ ...common, label: label('wait', `${w.value.for} of ${names.join(', ')}`), jobs: names, waitFor: w.value.for });
        } else if (w.tag === 'console') {
          steps.push({ ...common, label: label('wait', `console /${w.value.console}/`), console: w.value.console });
        } else {
          const untilText = rawString(node, 'wait', 'until') ?? '';
          steps.push({
            ...common, label: label('wait', `${w.value.run} until ${untilText}`),
            run: w.value.run, until: w.value.until, everyMs: w.value.every,
          });
        }
        return;
      }
      case 'sleep':
        steps.push({ ...base, kind: 'sleep', label: label('sleep', formatDuration(s.value.sleep)), ms: s.value.sleep });
        return;
      case 'unplug':
      case 'plug': {
        const verb = s.tag;
        const id = verb === 'unplug' ? (s.value as { unplug: string }).unplug : (s.value as { plug: string }).plug;
        const pos = (s.value.$at as Record<string, Position>)[verb]!;
        if (checkDisk(id, pos, verb)) {
          const by = unplugged.get(id);
          if (verb === 'unplug' && by !== undefined) cx.reportAt(pos, `unplug: disk '${id}' is already unplugged (by step ${by})`);
          else if (verb === 'plug' && by === undefined) cx.reportAt(pos, `plug: disk '${id}' is already plugged in (unplug it first)`);
          else if (verb === 'unplug') unplugged.set(id, index);
          else unplugged.delete(id);
        }
        steps.push({ ...base, kind: verb, label: label(verb, id), disk: id });
        return;
      }
      case 'fault': {
        const fault = resolveFault(s.value.fault, disks, cx);
        if (fault) steps.push({ ...base, kind: 'fault', label: label('fault', describeFault(fault)), fault });
        return;
      }
      case 'parallel': {
        const v = s.value;
        const r = resolveParallel(v, index, jobs, defaults.exit, cx);
        if (r) {
          const join = typeof r.join === 'string' ? r.join : `${r.join.job} ends`;
          steps.push({
            ...base, kind: 'parallel', label: label('parallel', `${r.jobs.map((j) => j.name).join(' + ')} (join: ${join})`),
            ...r, timeoutMs: v.timeout ?? defaults.timeoutMs,
          });
        }
        return;
      }
      case 'qmp': {
        const q = s.value.qmp;
        steps.push({
          ...base, kind: 'qmp', label: label('qmp', q.execute), execute: q.execute,
          ...(q.arguments !== undefined ? { arguments: q.arguments } : {}),
        });
        return;
      }
    }
  });
  return steps;
}
