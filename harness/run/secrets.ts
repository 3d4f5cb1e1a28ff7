// The attempt's private directory (0700) and what goes in it: per-run SSH keys,
// the image's initrd with them appended, fresh scenario disks, the QMP socket.
import { chmod } from 'node:fs/promises';
import { dir as tmpDir, type DirectoryResult } from 'tmp-promise';
import { generateHostKey } from '../artifacts/image/dropbear-key.js';
import { withRunSecrets, type ImageArtifact } from '../artifacts/image/image.js';
import { generateClientKey } from '../guest/keys.js';
import type { Scenario } from '../scenario/types.js';
import type { VmDisk } from '../vm/argv.js';
import { createDisks } from './boot.js';

export interface Secrets {
  /** The run's private directory (0700): QMP socket, disks, the secrets initrd. */
  dir: DirectoryResult;
  client: ReturnType<typeof generateClientKey>;
  hostKey: ReturnType<typeof generateHostKey>;
  initrd: string;
  disks: VmDisk[];
}

/** Per-run keys, the initrd with them appended, and fresh scenario disks, all in a private directory. */
export async function makeSecrets(sc: Scenario, image: ImageArtifact): Promise<Secrets> {
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'krepro-' });
  try {
    await chmod(dir.path, 0o700);
    const client = generateClientKey();
    const hostKey = generateHostKey();
    const initrd = await withRunSecrets(image, { authorizedKey: client.publicKey, hostKeyDropbear: hostKey.dropbear }, dir.path);
    const disks = await createDisks(sc.disks, dir.path);
    return { dir, client, hostKey, initrd, disks };
  } catch (e) {
    await dir.cleanup().catch(() => {});
    throw e;
  }
}

/** The console watch: crash reports not tolerated by `expect.allow` stop the attempt. */
