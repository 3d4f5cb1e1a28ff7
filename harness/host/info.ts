import { hostname, release } from 'node:os';
import { execa } from '../util/children.js';

let cached: Record<string, string> | undefined;

/** Facts about the host recorded in every result (memoised: one qemu --version per process). */
export async function hostInfo(qemu: string): Promise<Record<string, string>> {
  if (cached) return cached;
  const v = await execa(qemu, ['--version'], { reject: false });
  cached = {
    hostname: hostname(),
    kernel: release(),
    node: process.version,
    qemu: (v.stdout || '').split('\n')[0] ?? 'unknown',
  };
  return cached;
}
