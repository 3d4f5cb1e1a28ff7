// Input errors, each pinned to a place in the scenario file. Everything wrong
// with a file is collected first and thrown together as one ScenarioError, so
// a user fixes a scenario in one pass instead of one error per run.

import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { Position } from './types.js';

/** One thing wrong with a scenario file, at the node that is wrong. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** Every problem found in a scenario file; message has one `file:line:col: message` per line. */
export class ScenarioError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[], opts?: { cause?: unknown }) {
    // In file order, whatever order the checks ran in.
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    super(sorted.map(formatProblem).join('\n'), opts);
    this.problems = sorted;
    this.name = 'ScenarioError';
  }
}

/** Anything with a source range: a YAML node, or a bare range from a parse error. */
type Located = Pick<YamlNode, 'range'> | null | undefined;

/**
 * Checking context: where problems go, how offsets become line:col, and the
 * key being checked (for messages like `memory: invalid size …`).
 */
export class Cx {
  private constructor(
    readonly file: string,
    private readonly lc: LineCounter,
    readonly problems: Problem[],
    /** The document, to follow `*alias` nodes. */
    readonly doc: Document | undefined,
    /** The key being checked, prefixed to value errors ("timeout: invalid duration …"). */
    readonly path: string,
    /** Where to point when a node has no range (defaults, synthesized nodes). */
    private readonly fallback: Position,
  ) {}

  static root(file: string, lc: LineCounter, doc?: Document): Cx {
    return new Cx(file, lc, [], doc, '', { file, line: 1, col: 1 });
  }

  /** A child context for map key `key` (list indexes keep the list's key); `near` stands in for range-less nodes. */
  at(key: string | number, near?: Located): Cx {
    const path = typeof key === 'number' ? this.path : key;
    return new Cx(this.file, this.lc, this.problems, this.doc, path, near ? this.pos(near) : this.fallback);
  }

  pos(node: Located): Position {
    const offset = node?.range?.[0];
    if (offset === undefined) return this.fallback;
    const { line, col } = this.lc.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Report a problem at `node`; the message is prefixed with the current path. */
  report(node: Located, message: string): void {
    this.reportPlain(node, this.path ? `${this.path}: ${message}` : message);
  }

  /** Report without the path prefix (for messages that already say where). */
  reportPlain(node: Located, message: string): void {
    const { line, col } = this.pos(node);
    this.problems.push({ file: this.file, line, col, message });
  }

  /** Report at an already computed position (checks done after parsing, e.g. files on disk). */
  reportAt(pos: Position, message: string): void {
    this.problems.push({ file: this.file, line: pos.line, col: pos.col, message });
  }

  reportAtOffset(offset: number, message: string): void {
    this.reportPlain({ range: [offset, offset, offset] }, message);
  }
}

/**
 * One YAML document of a krepro file (a scenario, a matrix) parsed with
 * positions: its root node and the problem context. After a syntax error the
 * tree is guesswork, so YAML's own errors (and an empty file) end it here.
 */
export function parseYamlFile(text: string, file: string, what: { kind: string; expected: string }): { cx: Cx; root: YamlNode } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const cx = Cx.root(file, lc, doc);
  for (const e of doc.errors) {
    cx.reportAtOffset(e.pos[0], e.code === 'MULTIPLE_DOCS' ? `a ${what.kind} file holds one YAML document (found another '---')` : e.message);
  }
  if (cx.problems.length) throw new ScenarioError(cx.problems);
  if (doc.contents === null) throw new ScenarioError([{ file, line: 1, col: 1, message: `empty ${what.kind}: expected a mapping (${what.expected})` }]);
  return { cx, root: doc.contents };
}
