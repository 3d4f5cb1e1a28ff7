// Running build commands with their output appended to a log file (kept in
// the cache entry) and each line offered to a progress callback; a failed
// build becomes a BuildError carrying the log's path and tail, so a verdict
// explains itself. Every build (kernel, ZFS, kmods) runs its commands here.
import { spawn } from '../../util/children.js';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { BuildError, tailLines } from '../../util/errors.js';

/** Run cmd with stdout+stderr appended to logPath; onLine sees each complete output line. */
export function runLogged(cmd: string, args: string[], o: { cwd: string; env: Record<string, string>; logPath: string; onLine?: (line: string) => void }): Promise<void> {
  const fd = openSync(o.logPath, 'a');
  writeSync(fd, `\n$ ${Object.entries(o.env).filter(([k]) => /^(ARCH|LLVM)$/.test(k)).map(([k, v]) => `${k}=${v} `).join('')}${cmd} ${args.join(' ')}\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const onData = (b: Buffer): void => {
      writeSync(fd, b);
      if (!o.onLine) return;
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) o.onLine(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.filter((a) => !a.startsWith('-') && !a.includes('=')).slice(-1)[0] ?? ''} exited ${code ?? `by signal ${signal}`}`));
    });
  }).finally(() => closeSync(fd));
}

/** The BuildError for a build that failed with `cause`, quoting the end of its log. */
export async function buildFailure(what: string, logPath: string, cause: unknown, tailN = 30): Promise<BuildError> {
  const tail = tailLines(await readFile(logPath, 'utf8').catch(() => ''), tailN);
  return new BuildError(what, { cause, log: logPath, tail });
}
