// What printk (and the tools around it) put in front of a kernel message. Kind
// patterns are written against the message alone, so every prefix is peeled here.

export interface Stripped {
  /** The message as the kernel formatted it (leading indentation of frames kept). */
  body: string;
  /** printk caller id ("T123" task, "C1" cpu) when CONFIG_PRINTK_CALLER is on. */
  caller?: string;
  /** Seconds since boot from the `[   12.345678]` stamp, when printed. */
  time?: number;
}

// syslog / journal export: "Mar  1 12:00:00 host kernel: ..."
const SYSLOG = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: /;
// Up to 40 characters of junk (a shell prompt, a terminal query like ESC[6n that
// the guest's shell printed just before the kernel wrote) may precede the stamp.
const STAMP = /^[^\n]{0,40}?\[\s*(\d{1,9}\.\d{1,9})\](?:\[\s*([TC]\d+)\])? ?/;
const LEVEL = /^<\d{1,3}>/;
const CALLER = /^\[\s*([TC]\d+)\] ?/;
// kmemleak.verbose=1 prints the /sys/kernel/debug/kmemleak report through pr_warn, so each of its lines
// carries kmemleak's pr_fmt; without it the report reads exactly like the file.
const KMEMLEAK = /^kmemleak: (?=unreferenced object|\s)/;

/** Split one console line into message, caller id and time stamp. */
export function stripPrefix(line: string): Stripped {
  let s = line;
  if (s.charCodeAt(0) === 60 /* < */) s = s.replace(LEVEL, '');
  const sys = SYSLOG.exec(s);
  if (sys) s = s.slice(sys[0].length);
  if (s.indexOf('[') >= 0) {
    const m = STAMP.exec(s);
    if (m) return { body: unwrap(s.slice(m[0].length)), caller: m[2], time: Number(m[1]) };
    const c = CALLER.exec(s);
    if (c) return { body: unwrap(s.slice(c[0].length)), caller: c[1] };
  }
  return { body: unwrap(s) };
}

function unwrap(body: string): string {
  return body.charCodeAt(0) === 107 /* k */ && KMEMLEAK.test(body) ? body.slice(10) : body;
}
