// `krepro triage`: output shapes and exit codes.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { triageCommand } from '../../../harness/console/triage-command.js';

const FIX = join(import.meta.dirname, '../../fixtures/console');

async function run(paths: string[], json: boolean): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const code = await triageCommand(paths, { json }, out);
  return { code, text };
}

t.test('a crashing log: exit 1, JSON with the crash fields', async (t) => {
  const { code, text } = await run([join(FIX, 'seed000-issue-spl-panic.log')], true);
  t.equal(code, 1);
  const doc = JSON.parse(text) as { crashes: Array<Record<string, unknown>> };
  t.equal(doc.crashes.length, 1);
  t.same(Object.keys(doc.crashes[0]!).slice(0, 8), ['kind', 'title', 'guilty', 'frames', 'signature', 'start', 'end', 'excerpt']);
  t.equal(doc.crashes[0]!.title, 'SPL PANIC in zio_encrypt');
});

t.test('a clean log: exit 0; human output says so', async (t) => {
  const { code, text } = await run([join(FIX, 'synthetic-clean-boot-false-alarms.log')], false);
  t.equal(code, 0);
  t.match(text, /no crash/);
  t.match(text, /note: ZFS pool 'tank' suspended/);
});

t.test('a directory: one JSON line per log file, recursively, expected files skipped', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'sub'));
  copyFileSync(join(FIX, 'real-6.1-gpf.log'), join(dir, 'a.log'));
  copyFileSync(join(FIX, 'synthetic-clean-boot-false-alarms.log'), join(dir, 'sub', 'b.log'));
  writeFileSync(join(dir, 'a.expected.json'), '{}');
  const { code, text } = await run([dir], true);
  t.equal(code, 1);
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { file: string; crashes: unknown[] });
  t.same(lines.map((l) => [l.file.slice(dir.length), l.crashes.length]), [['/a.log', 1], ['/sub/b.log', 0]]);
});

t.test('an unreadable input: exit 2', async (t) => {
  const { code } = await run([join(FIX, 'no-such-file.log')], true);
  t.equal(code, 2);
});

t.test('human output names title, kind, lines, guilty and frames', async (t) => {
  const { text } = await run([join(FIX, 'seed003-btrfs-send-kernel-bug.log')], false);
  t.match(text, /kernel BUG in read_node_slot\n {4}kind kernel-bug, lines 4-48/);
  t.match(text, /guilty: read_node_slot/);
  t.match(text, /frames: tree_advance < btrfs_compare_trees/);
});
