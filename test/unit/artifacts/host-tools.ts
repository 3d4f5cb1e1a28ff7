// Real Debian artifacts for tests that check our formats against the real tools.
// They come from the user's krepro cache (downloaded once); tests skip when offline.
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptDownload } from '../../../harness/artifacts/store/apt.js';

/** Unpack dropbear-bin and its libraries into a temp dir; returns a runner for its tools. */
export async function dropbearTools(): Promise<(tool: string, args: string[]) => Promise<string>> {
  const debs = await aptDownload(['dropbear-bin', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g', 'libcrypt1']);
  const dir = await mkdtemp(join(tmpdir(), 'krepro-dropbear-'));
  for (const deb of debs.values()) await execa('dpkg-deb', ['-x', deb, dir]);
  const libs = [join(dir, 'lib/x86_64-linux-gnu'), join(dir, 'usr/lib/x86_64-linux-gnu')].join(':');
  return async (tool, args) => {
    const r = await execa(join(dir, 'usr/bin', tool), args, { env: { LD_LIBRARY_PATH: libs } });
    return String(r.stdout);
  };
}
