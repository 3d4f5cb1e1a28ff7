// `krepro doctor`: are the host tools there, and does KVM really work?
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';

/** Host tools krepro runs, and the Debian package that provides each. */
export const HOST_TOOLS: Array<{ tool: string; pkg: string; why: string }> = [
  { tool: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'runs the guests' },
  { tool: 'apt-get', pkg: 'apt', why: 'downloads kernels and guest packages' },
  { tool: 'dpkg-deb', pkg: 'dpkg', why: 'unpacks Debian packages into images' },
  { tool: 'cpio', pkg: 'cpio', why: 'packs initramfs images' },
  { tool: 'depmod', pkg: 'kmod', why: 'indexes kernel modules for the guest' },
  { tool: 'gzip', pkg: 'gzip', why: 'compresses initramfs images' },
];

async function onPath(tool: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = join(d, tool);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch { /* keep looking */ }
  }
  return undefined;
}

/** Tools that are missing, with the packages that provide them. */
export async function missingTools(): Promise<Array<{ tool: string; pkg: string; why: string }>> {
  const out = [];
  for (const t of HOST_TOOLS) if (!(await onPath(t.tool))) out.push(t);
  return out;
}

/** Install Debian packages with the host's apt (doctor --install, as root). */
export async function installPackages(pkgs: string[], log: (s: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`installing needs root: run  sudo apt-get install ${pkgs.join(' ')}`);
  log(`apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env, stdio: 'inherit' });
  await execa('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...pkgs], { env, stdio: 'inherit' });
}

/** A message for a run that cannot start because tools are missing. */
export function missingToolsMessage(missing: Array<{ tool: string; pkg: string }>): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  return `missing host tools: ${missing.map((m) => m.tool).join(', ')} — install them with  apt-get install ${pkgs.join(' ')}  (or  krepro doctor --install  as root)`;
}
