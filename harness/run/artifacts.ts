// A scenario's artifacts — its kernel and guest image — resolved under its
// lock when it has one (NAME.lock.json beside it), recording every Debian
// package actually used. The attempt's artifacts phase and `krepro lock` are
// the same resolution: a lock holds exactly what a run fetches.
import { resolveKernel } from '../artifacts/kernel/resolve.js';
import type { KernelArtifact } from '../artifacts/kernel/artifact.js';
import { bootKernel, type BootKernel } from '../artifacts/kernel/pvh.js';
import { buildImage, type ImageArtifact } from '../artifacts/image/image.js';
import { inPackageScope, type Lock, type LockedPackage, type PackageScope } from '../artifacts/store/lock.js';
import type { Scenario } from '../scenario/types.js';

export interface ScenarioArtifacts {
  kernel: KernelArtifact;
  image: ImageArtifact;
  /** What QEMU's -kernel gets: the PVH vmlinux or the bzImage. */
  boot: BootKernel;
}

/**
 * Resolve (fetch, build or find cached) the kernel and image; with `lock`
 * every package comes from it. `used` receives each .deb as it is handed out,
 * so a failure still shows what was used up to it.
 */
export async function resolveArtifacts(sc: Scenario, lock: Lock | undefined, used: Map<string, LockedPackage>): Promise<ScenarioArtifacts> {
  const scope: PackageScope = { ...(lock ? { lock } : {}), used };
  return inPackageScope(scope, async () => {
    const kernel = await resolveKernel(sc.kernel);
    const image = await buildImage(sc.image, kernel);
    return { kernel, image, boot: await bootKernel(kernel, sc.machine.entry) };
  });
}

/** result.json's rows for what the image's builders built: `build:zfs` → `debian:zfs-dkms@…` or `git:REPO@REF(COMMIT)`, `build:kmod` → `kmod:DIR …`. */
export function buildRows(image: ImageArtifact): Record<string, { identity: string; hash: string }> {
  return Object.fromEntries(image.builds.map((b) => [`build:${b.builder}`, { identity: b.identity, hash: b.hash }]));
}

/** result.json's artifact rows for the packages used: `deb:NAME` → NAME=VERSION, its sha256 and .deb file. */
export function packageRows(used: Map<string, LockedPackage>): Record<string, { identity: string; hash: string; path: string }> {
  return Object.fromEntries([...used].sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, p]) => [`deb:${n}`, { identity: `${n}=${p.version}`, hash: p.sha256, path: p.file }]));
}
