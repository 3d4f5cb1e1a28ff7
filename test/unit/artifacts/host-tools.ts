// Real Debian artifacts for tests that check our formats against the real tools.
// They come from the user's krepro cache (downloaded once through krepro's apt).
// A test skips only when a host tool it needs is absent (`needsTools`); a
// download or unpack that fails is a failure, never a skip.
import { execa } from 'execa';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { aptDownload } from '../../../harness/artifacts/store/apt.js';

/** The tools of `tools` that are not executable on PATH. */
export function absentTools(tools: string[]): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const found = (tool: string): boolean => dirs.some((d) => {
    try {
      accessSync(join(d, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return tools.filter((tool) => !found(tool));
}

/** A tap `skip` option: false when every tool is on PATH, else the reason naming the absent ones. */
export function needsTools(tools: string[]): false | string {
  const absent = absentTools(tools);
  return absent.length ? `host tools not on PATH: ${absent.join(', ')}` : false;
}

/** What fetching Debian packages through krepro's private apt needs on the host. */
export const APT_TOOLS = ['apt-get', 'dpkg-deb'];

/** Unpack dropbear-bin and its libraries into a temp dir; returns a runner for its tools. */
export async function dropbearTools(): Promise<(tool: string, args: string[]) => Promise<string>> {
  const debs = await aptDownload(['dropbear-bin', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g', 'libcrypt1']);
  const dir = await mkdtemp(join(tmpdir(), 'krepro-dropbear-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const deb of debs.values()) await execa('dpkg-deb', ['-x', deb, dir]);
  const libs = [join(dir, 'lib/x86_64-linux-gnu'), join(dir, 'usr/lib/x86_64-linux-gnu')].join(':');
  return async (tool, args) => {
    const r = await execa(join(dir, 'usr/bin', tool), args, { env: { LD_LIBRARY_PATH: libs } });
    return String(r.stdout);
  };
}
