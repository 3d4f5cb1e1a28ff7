// Pure Kconfig text handling for kernel builds: what the fragments request,
// what the final .config holds, which requests were dropped, and why (the
// `depends on` lines of the dropped symbol's definition, with the values their
// symbols ended up with). merge_config.sh and olddefconfig only warn — or say
// nothing — when an option cannot be set (LTO_CLANG_THIN without clang in the
// environment, a symbol renamed between versions), so krepro checks itself
// and refuses to build a kernel that is not the one the scenario asked for.

/** One `CONFIG_X=…` or `# CONFIG_X is not set` line of a fragment. */
export interface KconfigRequest {
  symbol: string;
  /** 'y', 'm', 'n', a number, or a string with its quotes ('"abc"'), as written. */
  value: string;
  file: string;
  line: number;
}

/** A request the final .config does not satisfy. */
export interface DroppedOption extends KconfigRequest {
  /** The final value, or undefined when the symbol is absent from .config. */
  got: string | undefined;
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** symbol → value of a .config ('n' for "is not set"); symbols without a line are absent. */
export function parseConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = SET.exec(line);
    if (m) out.set(m[1]!, m[2]!);
    else if ((m = UNSET.exec(line))) out.set(m[1]!, 'n');
  }
  return out;
}

/** The requests of one fragment, in order; other comments and blank lines are ignored. */
export function parseFragment(text: string, file: string): KconfigRequest[] {
  const out: KconfigRequest[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    let m = SET.exec(line);
    if (m) out.push({ symbol: m[1]!, value: m[2]!, file, line: i + 1 });
    else if ((m = UNSET.exec(line))) out.push({ symbol: m[1]!, value: 'n', file, line: i + 1 });
  });
  return out;
}

/** Merge requests as merge_config does: a later fragment's value for a symbol wins. */
export function effectiveRequests(fragments: KconfigRequest[][]): KconfigRequest[] {
  const last = new Map<string, KconfigRequest>();
  for (const f of fragments) for (const r of f) {
    last.delete(r.symbol); // keep the order of the winning line
    last.set(r.symbol, r);
  }
  return [...last.values()];
}

/** Requests the final config does not satisfy. An absent symbol counts as `n` (Kconfig writes no line for invisible ones). */
export function droppedOptions(requests: KconfigRequest[], config: Map<string, string>): DroppedOption[] {
  const out: DroppedOption[] = [];
  for (const r of requests) {
    const got = config.get(r.symbol);
    const ok = r.value === 'n' ? got === undefined || got === 'n' : got === r.value;
    if (!ok) out.push({ ...r, got });
  }
  return out;
}

/** A `config`/`menuconfig` entry of a Kconfig file. */
export interface KconfigEntry {
  symbol: string;
  file: string;
  line: number;
  /** Has a prompt (`bool "…"`, `prompt "…"`): users can set it; without one only `select` or a default can. */
  prompt: boolean;
  /** Each `depends on` expression, as written, with its line. */
  dependsOn: Array<{ expr: string; line: number }>;
}

const ENTRY_END = /^(config|menuconfig|choice|endchoice|menu|endmenu|if|endif|source|comment|mainmenu)\b/;

/** Every config entry of one Kconfig file (the enclosing `if`/`menu` conditions are not followed). */
export function parseKconfig(text: string, file: string): KconfigEntry[] {
  const out: KconfigEntry[] = [];
  let cur: KconfigEntry | undefined;
  let inHelp = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    const t = line.trim();
    const m = /^(?:menu)?config\s+([A-Za-z0-9_]+)$/.exec(t);
    if (m && !/^\s/.test(line)) {
      cur = { symbol: m[1]!, file, line: i + 1, prompt: false, dependsOn: [] };
      out.push(cur);
      inHelp = false;
      return;
    }
    if (!cur || t === '') return;
    if (!/^\s/.test(line) && ENTRY_END.test(t)) {
      cur = undefined;
      return;
    }
    if (inHelp) return;
    if (/^(help|---help---)$/.test(t)) inHelp = true;
    else if (/^(bool|tristate|string|int|hex)\s+"/.test(t) || /^prompt\s+"/.test(t)) cur.prompt = true;
    else if (/^depends\s+on\s+/.test(t)) cur.dependsOn.push({ expr: t.replace(/^depends\s+on\s+/, ''), line: i + 1 });
  });
  return out;
}

/** The symbols an expression names, skipping $(macro …) calls, numbers, quoted strings and y/m/n. */
export function expressionSymbols(expr: string): string[] {
  let e = expr;
  // Strip $( … ) macro calls, innermost first (they nest: $(success,$(NM) --help …)).
  for (let prev = ''; prev !== e; ) {
    prev = e;
    e = e.replace(/\$\([^()]*\)/g, ' ');
  }
  e = e.replace(/"[^"]*"/g, ' ').replace(/#.*$/, '');
  const out: string[] = [];
  for (const tok of e.match(/[A-Za-z0-9_]+/g) ?? []) {
    if (/^\d+$/.test(tok) || /^[ymn]$/.test(tok) || out.includes(tok)) continue;
    out.push(tok);
  }
  return out;
}

/**
 * Why a dropped option ended up unset, as lines: its definition's `depends on`
 * lines with the final value of each symbol they name, followed down (to
 * `depth`) through dependencies that are themselves off.
 */
export function explainDropped(symbol: string, defs: Map<string, KconfigEntry[]>, config: Map<string, string>, depth = 3): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const walk = (sym: string, level: number, indent: string): void => {
    if (seen.has(sym)) return;
    seen.add(sym);
    const entries = defs.get(sym) ?? [];
    if (entries.length === 0) {
      if (level === 0) lines.push(`${indent}no \`config ${sym}\` in this source tree (renamed or removed in this version?)`);
      return;
    }
    const deps = entries.flatMap((e) => e.dependsOn.map(({ expr, line }) => ({ d: expr, file: e.file, line })));
    if (level === 0 && !entries.some((e) => e.prompt)) {
      lines.push(`${indent}${sym} has no prompt (${entries[0]!.file}:${entries[0]!.line}): only a \`select\` or its default can set it`);
    }
    for (const { d, file, line } of deps) {
      const vals = expressionSymbols(d).map((s) => `${s}=${config.get(s) ?? 'n'}`);
      // $(cc-option …)/$(success …) are evaluated with the compiler of the make run: the usual culprit is a missing `llvm:`.
      const probe = vals.length === 0 && /\$\(/.test(d) ? ' — a test of the toolchain (false with this compiler?)' : '';
      lines.push(`${indent}${sym}: depends on ${d}${vals.length ? `  [${vals.join(' ')}]` : ''}  (${file}:${line})${probe}`);
      if (level + 1 >= depth) continue;
      for (const s of expressionSymbols(d)) {
        if ((config.get(s) ?? 'n') === 'n') walk(s, level + 1, `${indent}  `);
      }
    }
    if (level === 0 && deps.length === 0 && entries.some((e) => e.prompt)) {
      lines.push(`${indent}${sym} has no \`depends on\` of its own; an enclosing \`if\`/\`menu\`/\`choice\` or a conflicting fragment decided it`);
    }
  };
  walk(symbol, 0, '');
  return lines;
}

/** The refusal message: every dropped option, where it was requested, and why it is off. */
export function formatDropped(dropped: DroppedOption[], explain: (symbol: string) => string[]): string {
  const rows = dropped.map((d) => {
    const got = d.got === undefined ? 'absent' : d.got;
    const head = `  CONFIG_${d.symbol}: requested ${d.value} (${d.file}:${d.line}), got ${got}`;
    return [head, ...explain(d.symbol).map((l) => `      ${l}`)].join('\n');
  });
  return `${dropped.length} requested kernel option(s) did not survive merge_config + olddefconfig:\n${rows.join('\n')}`;
}
