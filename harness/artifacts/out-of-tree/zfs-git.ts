// OpenZFS from a user's git checkout at a ref (image param `zfs: git:PATH@REF`):
// cloned with --shared into the build dir (objects borrowed read-only, the
// user's repository, index and work tree untouched), so `make gitrev` sees a
// real `git describe`. The tree (not the commit) keys the build.
import { execa } from '../../util/children.js';
import { resolve } from 'node:path';
import { BuildError, commandError } from '../../util/errors.js';

export interface ZfsGitRef {
  repo: string;
  ref: string;
}

/** `git:PATH@REF` → { repo, ref }; anything else (a version like 2.3.2) → undefined. */
export function parseZfsGit(spec: string): ZfsGitRef | undefined {
  const m = /^git:(.+)@([^@]+)$/.exec(spec);
  return m ? { repo: resolve(m[1]!), ref: m[2]! } : undefined;
}

export interface ZfsGitSource extends ZfsGitRef {
  commit: string;
  tree: string;
  /** META's Version (e.g. 2.3.2): picks the Debian userland that goes with the modules. */
  version: string;
}

/** Resolve the ref and read the version, without touching the repository. */
export async function zfsGitSource(g: ZfsGitRef): Promise<ZfsGitSource> {
  const git = async (...a: string[]) => String((await execa('git', ['-C', g.repo, ...a])).stdout).trim();
  let commit: string;
  try {
    commit = await git('rev-parse', '--verify', `${g.ref}^{commit}`);
  } catch (err) {
    throw new BuildError(`zfs git:${g.repo}@${g.ref}: cannot resolve the ref: ${commandError(err)}`, { cause: err });
  }
  const tree = await git('rev-parse', `${commit}^{tree}`);
  const meta = await git('show', `${commit}:META`).catch(() => '');
  const version = /^Version:\s*(\S+)/m.exec(meta)?.[1];
  if (!version) throw new Error(`zfs git:${g.repo}@${g.ref}: no META with a Version line (not an OpenZFS tree?)`);
  return { ...g, commit, tree, version };
}

/** Clone the commit into `dest` (shared objects, detached HEAD); returns the tree dir. */
export async function cloneZfs(s: ZfsGitSource, dest: string): Promise<string> {
  await execa('git', ['clone', '--quiet', '--shared', '--no-checkout', s.repo, dest]);
  await execa('git', ['-C', dest, 'checkout', '--quiet', '--detach', s.commit]);
  return dest;
}
