// `krepro doctor`: is every host requirement there (util/requirements.ts, all
// groups), and does KVM really work? --install installs what is missing with
// the host's apt, as root — .ci/run uses exactly this.
import { execa } from '../util/children.js';
import { packagesOf, unmet, unmetMessage, type Need, type Requirement } from '../util/requirements.js';

/** What each group is for, in doctor's report. */
export const NEED_TITLES: Record<Need, string> = {
  'run': 'runs',
  'kernel-build': 'kernel builds',
  'gcc': 'kernel builds with gcc',
  'llvm-16': 'kernel builds with llvm: 16',
  'kernel-git': 'kernels from git',
  'module-build': 'module builds (ZFS, kmods)',
  'debian-modules': 'modules for Debian kernels',
  'zfs-build': 'ZFS builds',
  'zfs-git': 'ZFS from git',
  'test': 'npm test',
};

/** Unmet requirements of `needs` (`run` alone by default: what `krepro run` needs before anything else). */
export async function missingTools(opts: { all?: boolean } = {}): Promise<Requirement[]> {
  return unmet(opts.all ? undefined : ['run']);
}

/** One line per unmet requirement, grouped by what needs it. */
export function missingReport(missing: readonly Requirement[]): string {
  return missing.map((m) => `missing  ${(m.bin ?? m.file)!.padEnd(22)} package ${m.pkg.padEnd(16)} ${NEED_TITLES[m.need]}: ${m.why}\n`).join('');
}

/** A message for a command that cannot start because requirements are missing. */
export function missingToolsMessage(missing: readonly Requirement[]): string {
  return unmetMessage([...new Set(missing.map((m) => NEED_TITLES[m.need]))].join(', '), missing);
}

/** Install Debian packages with the host's apt (doctor --install, as root). */
export async function installPackages(pkgs: readonly string[], log: (s: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`installing needs root: run  sudo apt-get install ${pkgs.join(' ')}`);
  log(`apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // stdin ignored: no prompt can hang an unattended install.
  const o = { env, stdio: ['ignore', 'inherit', 'inherit'] } as const;
  await execa('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=300', 'update'], o);
  await execa('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...pkgs], o);
}
