// Turn checked values into the typed Scenario parts, checking what the shape
// alone cannot: kernel files on disk, duplicate disks, memory units.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { Item, Out } from './fields.js';
import { resolveKernelBuild } from './kernel-build.js';
import { resolvePath } from './paths.js';
import type { Cx } from './problems.js';
import type { diskSpec, expectSpec, kernelSpec, machineSpec } from './spec.js';
import type { CrashExpectation, DiskBus, DiskSpec, Expectations, KernelSpec, MachineSpec, Position } from './types.js';
import { errorMessage } from '../util/errors.js';

const MiB = 2 ** 20;

async function checkPath(p: string, want: 'file' | 'dir', what: string, pos: Position, cx: Cx): Promise<boolean> {
  try {
    const st = await stat(p);
    if (want === 'file' ? st.isFile() : st.isDirectory()) return true;
    cx.reportAt(pos, `${what} ${p} is ${st.isDirectory() ? 'a directory' : 'not a directory'}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    cx.reportAt(pos, code === 'ENOENT' ? `${what} not found: ${p}` : `${what} ${p}: ${errorMessage(e)}`);
  }
  return false;
}

export async function resolveKernel(k: Out<typeof kernelSpec>, dir: string, cx: Cx, kconfigsDir: string): Promise<KernelSpec | undefined> {
  if (k.tag === 'debian') {
    const { debian: abi, version } = k.value;
    return { kind: 'debian', abi, ...(version !== undefined ? { version } : {}), pos: k.value.$pos };
  }
  if (k.tag === 'build') {
    const build = await resolveKernelBuild(k.value.build, dir, kconfigsDir, cx);
    return build && { kind: 'build', build, pos: k.value.$pos };
  }
  const v = k.value;
  const bzImage = resolvePath(v.path, dir);
  let ok = await checkPath(bzImage, 'file', 'kernel image', v.$at.path, cx);
  const modules = v.modules === undefined ? undefined : resolvePath(v.modules, dir);
  if (modules !== undefined) ok = (await checkPath(modules, 'dir', 'modules directory', v.$at.modules, cx)) && ok;
  return ok ? { kind: 'path', bzImage, ...(modules !== undefined ? { modules } : {}), pos: v.$pos } : undefined;
}

export function resolveMachine(m: Out<typeof machineSpec>, cx: Cx): MachineSpec | undefined {
  if (m.memory % MiB !== 0 || m.memory < 64 * MiB) {
    cx.reportAt(m.$at.memory, `memory: must be a whole number of MiB and at least 64M (got ${m.memory} bytes)`);
    return undefined;
  }
  return { memoryMiB: m.memory / MiB, cpus: m.cpus, accel: m.accel, entry: m.entry };
}

/** Disk ids the steps may name; bus is undefined for disks that failed to parse (skip bus checks). */
export type KnownDisks = Map<string, DiskBus | undefined>;

export function resolveDisks(
  items: Item<Out<typeof diskSpec>>[], cx: Cx,
): { disks: DiskSpec[]; known: KnownDisks } {
  const disks: DiskSpec[] = [];
  const known: KnownDisks = new Map();
  const firstId = new Map<string, Position>();
  const serials = new Map<string, string>();
  for (const { value: d, node } of items) {
    if (!d) {
      // Still remember its id, so steps naming it are not reported a second time.
      const id = isMap(node) ? node.get('id', true) : undefined;
      if (isScalar(id) && typeof id.value === 'string' && !known.has(id.value)) known.set(id.value, undefined);
      continue;
    }
    const first = firstId.get(d.id);
    if (first) {
      cx.reportAt(d.$at.id, `duplicate disk id '${d.id}' (first at line ${first.line})`);
      continue;
    }
    firstId.set(d.id, d.$at.id);
    known.set(d.id, d.bus);
    const serial = d.serial ?? d.id;
    const other = serials.get(serial);
    if (other !== undefined) {
      cx.reportAt(d.serial ? d.$at.serial : d.$at.id, `disk serial '${serial}' is already used by disk '${other}'`);
      continue;
    }
    serials.set(serial, d.id);
    if (d.size === 0 || d.size % 512 !== 0) {
      cx.reportAt(d.$at.size, `size: must be a positive multiple of 512 bytes (got ${d.size})`);
      continue;
    }
    disks.push({ id: d.id, sizeBytes: d.size, bus: d.bus, serial, pos: d.$pos });
  }
  return { disks, known };
}

function crashPatterns(list: Array<{ kind?: string; title?: string }>): CrashExpectation[] {
  return list.map((c) => ({
    ...(c.kind !== undefined ? { kind: c.kind } : {}),
    ...(c.title !== undefined ? { title: c.title } : {}),
  }));
}

export function resolveExpect(e: Out<typeof expectSpec>): Expectations {
  return { crashes: e.crashes === 'none' ? 'none' : crashPatterns(e.crashes), allow: crashPatterns(e.allow) };
}
