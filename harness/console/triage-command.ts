// `krepro triage FILE|DIR… [--json]`: the offline face of the crash detector.
// A directory is walked recursively; files named *.log, *.txt, *.console or *.out are
// console logs (expected-answer files and other data next to them are not).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CrashDetector } from './detector.js';
import type { CrashReport } from './types.js';

const LOG_FILE = /\.(?:log|txt|console|out)$/;

interface FileResult {
  file: string;
  crashes: CrashReport[];
  notes: CrashReport[];
}

/** Triage files or directories; exit code 0 = no crash, 1 = a crash, 2 = unreadable input. */
export async function triageCommand(paths: string[], opts: { json: boolean }, out: NodeJS.WritableStream): Promise<number> {
  let unreadable = false;
  let crashed = false;
  for (const path of paths) {
    let files: string[];
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
      files = isDir ? await logFiles(path) : [path];
    } catch (e) {
      process.stderr.write(`krepro triage: cannot read ${path}: ${(e as Error).message}\n`);
      unreadable = true;
      continue;
    }
    for (const file of files) {
      let result: FileResult;
      try {
        result = triageText(file, await readFile(file));
      } catch (e) {
        process.stderr.write(`krepro triage: cannot read ${file}: ${(e as Error).message}\n`);
        unreadable = true;
        continue;
      }
      crashed ||= result.crashes.length > 0;
      out.write(opts.json ? jsonLine(result, isDir) : human(result));
    }
  }
  return unreadable ? 2 : crashed ? 1 : 0;
}

function triageText(file: string, text: Buffer): FileResult {
  const d = new CrashDetector();
  d.feed(text);
  return { file, crashes: d.flush(true), notes: d.notes };
}

function jsonLine(r: FileResult, withFile: boolean): string {
  const crashes = r.crashes.map((c) => ({
    kind: c.kind, title: c.title, guilty: c.guilty, frames: c.frames, signature: c.signature,
    start: c.start, end: c.end, excerpt: c.excerpt,
    ...(c.truncated ? { truncated: true } : {}), ...(c.corrupted ? { corrupted: c.corrupted } : {}), ...(c.chained ? { chained: c.chained } : {}),
  }));
  const notes = r.notes.map((n) => ({ kind: n.kind, title: n.title, start: n.start }));
  return `${JSON.stringify({ ...(withFile ? { file: r.file } : {}), crashes, ...(notes.length ? { notes } : {}) })}\n`;
}

function human(r: FileResult): string {
  const lines = [`${r.file}: ${r.crashes.length === 0 ? 'no crash' : `${r.crashes.length} crash${r.crashes.length > 1 ? 'es' : ''}`}`];
  for (const c of r.crashes) {
    lines.push(`  ${c.title}`);
    lines.push(`    kind ${c.kind}, lines ${c.start}-${c.end}${c.truncated ? ' (truncated)' : ''}, signature ${c.signature}`);
    if (c.corrupted) lines.push(`    corrupted: ${c.corrupted}`);
    if (c.guilty) lines.push(`    guilty: ${c.guilty}`);
    if (c.frames.length) lines.push(`    frames: ${c.frames.slice(0, 6).join(' < ')}${c.frames.length > 6 ? ' < …' : ''}`);
    if (c.chained) lines.push(`    followed by: ${c.chained.join('; ')}`);
  }
  for (const n of r.notes) lines.push(`  note: ${n.title} (line ${n.start})`);
  return `${lines.join('\n')}\n`;
}

async function logFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await logFiles(p)));
    else if (e.isFile() && LOG_FILE.test(e.name)) found.push(p);
  }
  return found.sort();
}
