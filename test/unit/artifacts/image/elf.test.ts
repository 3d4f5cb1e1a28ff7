import t from 'tap';
import { execa } from 'execa';
import { mkdir, readFile, symlink, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { elfDeps, missingLibraries } from '../../../../harness/artifacts/image/elf.js';

t.test('DT_NEEDED and PT_INTERP agree with readelf on a host binary', async (t) => {
  const bin = '/usr/bin/ssh-keygen';
  const deps = elfDeps(await readFile(bin));
  const readelf = String((await execa('readelf', ['-d', bin])).stdout);
  const expected = [...readelf.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  t.same(deps?.needed, expected);
  t.equal(deps?.interp, '/lib64/ld-linux-x86-64.so.2');
  t.equal(elfDeps(Buffer.from('#!/bin/sh\n')), null);
});

t.test('missingLibraries resolves inside the tree, following absolute symlinks there', async (t) => {
  const root = t.testdir({});
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await copyFile('/usr/bin/ssh-keygen', join(root, 'usr/bin/tool'));
  const before = await missingLibraries(root);
  t.ok(before.includes('usr/bin/tool: interpreter /lib64/ld-linux-x86-64.so.2'));
  t.ok(before.includes('usr/bin/tool: libc.so.6'));
  await mkdir(join(root, 'lib/x86_64-linux-gnu'), { recursive: true });
  await mkdir(join(root, 'lib64'));
  await copyFile('/lib/x86_64-linux-gnu/libc.so.6', join(root, 'lib/x86_64-linux-gnu/libc.so.6'));
  await symlink('/lib/x86_64-linux-gnu/libc.so.6', join(root, 'lib64/ld-linux-x86-64.so.2'));
  const after = await missingLibraries(root);
  t.notOk(after.some((p) => p.includes('libc.so.6') || p.includes('interpreter')), after.join('\n'));
});
