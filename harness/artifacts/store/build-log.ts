// Running build commands with their output appended to a log file (kept in
// the cache entry) and each line offered to a progress callback; failures
// carry the log's tail so a verdict explains itself.
import { spawn } from '../../util/children.js';
import { closeSync, openSync, writeSync } from 'node:fs';

/** The last `n` lines of a log, for error messages. */
export function logTail(text: string, n = 30): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

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
