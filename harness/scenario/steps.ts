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
import type { Position, Step, WaitStep } from './types.js';
import { unreachable } from '../util/unreachable.js';

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

/** What resolving the steps keeps track of between them. */
interface StepState {
  disks: KnownDisks;
  defaults: StepDefaults;
  cx: Cx;
  /** Background job name → the step that started it and the one that waited for it. */
  jobs: Map<string, { started: number; waited?: number }>;
  /** Disk id → the step that unplugged it. */
  unplugged: Map<string, number>;
}

type StepItem = Item<Out<typeof stepSpec>>;
type ParsedStep = NonNullable<StepItem['value']>;

export function resolveSteps(items: StepItem[], disks: KnownDisks, defaults: StepDefaults, cx: Cx): Step[] {
  const st: StepState = { disks, defaults, cx, jobs: new Map(), unplugged: new Map() };
  const steps: Step[] = [];
  items.forEach(({ value: s, node }, i) => {
    const index = i + 1;
    if (!s) {
      // Keep its job known, so a bad option on a background step is not also reported at every wait.
      const bg = rawString(node, 'background');
      if (bg !== undefined && !st.jobs.has(bg)) st.jobs.set(bg, { started: index });
      return;
    }
    const step = resolveStep(s, node, index, st);
    if (step) steps.push(step);
  });
  return steps;
}

/** One step, or undefined when its problems were reported. */
function resolveStep(s: ParsedStep, node: YamlNode | undefined, index: number, st: StepState): Step | undefined {
  const { cx, defaults } = st;
  const base = { index, pos: s.value.$pos };
  switch (s.tag) {
    case 'run': {
      const v = s.value;
      if (v.background !== undefined) {
        const prior = st.jobs.get(v.background);
        if (prior) cx.reportAt(v.$at.background, `job '${v.background}' is already started by step ${prior.started}`);
        else st.jobs.set(v.background, { started: index });
      }
      return {
        ...base, kind: 'run', label: label('run', v.run), command: v.run,
        expectExit: v['expect-exit'] ?? defaults.exit,
        ...(v.background !== undefined ? { background: v.background } : {}),
        ...(v.timeout !== undefined ? { timeoutMs: v.timeout } : {}),
        ...(v.stdin !== undefined ? { stdin: v.stdin } : {}),
      };
    }
    case 'wait':
      return resolveWait(s.value.wait, node, base, st);
    case 'sleep':
      return { ...base, kind: 'sleep', label: label('sleep', formatDuration(s.value.sleep)), ms: s.value.sleep };
    case 'unplug':
      return resolvePlug('unplug', s.value.unplug, s.value.$at.unplug, base, st);
    case 'plug':
      return resolvePlug('plug', s.value.plug, s.value.$at.plug, base, st);
    case 'fault': {
      const fault = resolveFault(s.value.fault, st.disks, cx);
      return fault && { ...base, kind: 'fault', label: label('fault', describeFault(fault)), fault };
    }
    case 'parallel': {
      const v = s.value;
      const r = resolveParallel(v, index, st.jobs, defaults.exit, cx);
      if (!r) return undefined;
      const join = typeof r.join === 'string' ? r.join : `${r.join.job} ends`;
      return {
        ...base, kind: 'parallel', label: label('parallel', `${r.jobs.map((j) => j.name).join(' + ')} (join: ${join})`),
        ...r, timeoutMs: v.timeout ?? defaults.timeoutMs,
      };
    }
    case 'qmp': {
      const q = s.value.qmp;
      return {
        ...base, kind: 'qmp', label: label('qmp', q.execute), execute: q.execute,
        ...(q.arguments !== undefined ? { arguments: q.arguments } : {}),
      };
    }
    default:
      return unreachable(s, 'step kind');
  }
}

type WaitValue = Extract<ParsedStep, { tag: 'wait' }>['value']['wait'];

function resolveWait(w: WaitValue, node: YamlNode | undefined, base: { index: number; pos: Position }, st: StepState): WaitStep {
  const { cx, defaults } = st;
  const common = { ...base, kind: 'wait' as const, timeoutMs: w.value.timeout ?? defaults.timeoutMs };
  switch (w.tag) {
    case 'job': {
      const name = w.value.job;
      const job = st.jobs.get(name);
      if (!job) {
        const hint = didYouMean(name, st.jobs.keys()) || (st.jobs.size ? `; started so far: ${[...st.jobs.keys()].join(', ')}` : '');
        cx.reportAt(w.value.$at.job, `wait: no background job '${name}' was started before this step${hint}`);
      } else if (job.waited !== undefined) {
        cx.reportAt(w.value.$at.job, `wait: job '${name}' was already waited for by step ${job.waited}`);
      } else {
        job.waited = base.index;
      }
      const { progress, stall, every } = w.value;
      if ((progress === undefined) !== (stall === undefined)) {
        cx.reportAt(progress === undefined ? w.value.$at.stall! : w.value.$at.progress!, 'wait: `progress` and `stall` go together (the watchdog needs both)');
      } else if (every !== undefined && progress === undefined) {
        cx.reportAt(w.value.$at.every!, 'wait: `every` on a job wait needs `progress` (it is the watchdog poll interval)');
      }
      return {
        ...common, on: 'job', label: label('wait', `job ${name}${progress !== undefined ? ' (watchdog)' : ''}`), job: name,
        ...(progress !== undefined && stall !== undefined ? { watchdog: { progress, stallMs: stall, everyMs: every ?? 5000 } } : {}),
      };
    }
    case 'jobs': {
      const names = checkWaitJobs(w.value.jobs, w.value.for, base.index, st.jobs, cx);
      return { ...common, on: 'jobs', label: label('wait', `${w.value.for} of ${names.join(', ')}`), jobs: names, waitFor: w.value.for };
    }
    case 'console':
      return { ...common, on: 'console', label: label('wait', `console /${w.value.console}/`), console: w.value.console };
    case 'run': {
      const untilText = rawString(node, 'wait', 'until') ?? '';
      return {
        ...common, on: 'poll', label: label('wait', `${w.value.run} until ${untilText}`),
        run: w.value.run, until: w.value.until, everyMs: w.value.every,
      };
    }
    default:
      return unreachable(w, 'wait kind');
  }
}

/** unplug/plug: the disk exists, is on usb, and the two alternate. */
function resolvePlug(verb: 'unplug' | 'plug', id: string, pos: Position, base: { index: number; pos: Position }, st: StepState): Step {
  if (checkDisk(id, pos, verb, st)) {
    const by = st.unplugged.get(id);
    if (verb === 'unplug' && by !== undefined) st.cx.reportAt(pos, `unplug: disk '${id}' is already unplugged (by step ${by})`);
    else if (verb === 'plug' && by === undefined) st.cx.reportAt(pos, `plug: disk '${id}' is already plugged in (unplug it first)`);
    else if (verb === 'unplug') st.unplugged.set(id, base.index);
    else st.unplugged.delete(id);
  }
  return { ...base, kind: verb, label: label(verb, id), disk: id };
}

function checkDisk(id: string, pos: Position, verb: 'unplug' | 'plug', st: StepState): boolean {
  const { disks, cx } = st;
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
}
