// Background jobs are wrapped so they can be stopped as a group; the wrapping must not change the command.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { jobCommand, shellQuote } from '../../../harness/run/jobs.js';

t.test('shellQuote survives a real shell', async (t) => {
  for (const s of ["plain", "it's", "a'b'c", "$(echo no) `no` \"dq\" \\ ;&|", 'multi\nline\n', "''"]) {
    t.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' }), s);
  }
});

t.test('jobCommand keeps the exit status and stdin, records its pid', async (t) => {
  const cmd = jobCommand('j1', "read x; echo \"got $x\"; exit 3").replace('/tmp/.krepro-job-j1.pid', '/dev/null');
  let status = 0;
  let out = '';
  try {
    execFileSync('sh', ['-c', cmd], { input: 'hello\n', encoding: 'utf8' });
  } catch (e) {
    status = (e as { status: number }).status;
    out = (e as { stdout: string }).stdout;
  }
  t.equal(status, 3);
  t.equal(out, 'got hello\n');
});
