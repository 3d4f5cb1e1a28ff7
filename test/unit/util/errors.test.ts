import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFailure } from '../../../harness/artifacts/store/build-log.js';
import { BootError, BuildError, errorMessage, InfraError, reasonOf, tailLines } from '../../../harness/util/errors.js';

t.test('the verdict reason comes from the error type; anything untyped is infra', async (t) => {
  t.equal(reasonOf(new BuildError('x')), 'build-failed');
  t.equal(reasonOf(new BootError('x')), 'boot-failed');
  t.equal(reasonOf(new InfraError('x')), 'infra');
  t.equal(reasonOf(new Error('x')), 'infra');
  t.equal(reasonOf('a string'), 'infra');
});

t.test('a failed build quotes the end of its log and keeps its cause', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'build.log');
  await writeFile(log, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n'));
  const cause = new Error('make modules exited 2');
  const e = await buildFailure('module crashmod failed to build for 6.1.0', log, cause, 3);
  t.ok(e instanceof BuildError);
  t.equal(e.cause, cause, 'the original error, not a copy of its text');
  t.equal(e.evidence.log, log);
  t.equal(e.evidence.tail, 'line 97\nline 98\nline 99');
  t.equal(errorMessage(e), `module crashmod failed to build for 6.1.0: make modules exited 2\nfull log: ${log}\n--- last lines ---\nline 97\nline 98\nline 99`);
});

t.test('a message that already names its cause does not repeat it', async (t) => {
  const e = new InfraError('QEMU would not start: exited 1', { cause: new Error('exited 1'), argv: ['qemu', '-x'] });
  t.equal(errorMessage(e), 'QEMU would not start: exited 1\nargv: qemu -x');
});

t.test('tailLines keeps the last n lines without the trailing newline', async (t) => {
  t.equal(tailLines('a\nb\nc\n', 2), 'b\nc');
  t.equal(tailLines('', 2), '');
});
