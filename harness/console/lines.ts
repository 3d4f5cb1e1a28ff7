// Turns arbitrary console chunks into lines. QEMU hands us bytes cut anywhere:
// inside a UTF-8 sequence, between \r and \n, in the middle of a 1 MB line.

/** Lines longer than this are cut (the rest up to the newline is dropped), so memory stays bounded. */
export const MAX_LINE = 16 * 1024;

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private partial = '';
  private overlong = false;

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feed bytes or text; complete lines are passed to onLine without their \r\n. */
  push(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) break;
      this.emit(text, from, nl);
      from = nl + 1;
    }
    if (from < text.length) this.keep(text.slice(from));
  }

  /** Emit the pending partial line (end of input). */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.keep(rest);
    if (this.partial.length > 0 || this.overlong) this.emit('', 0, 0);
  }

  private keep(s: string): void {
    if (this.overlong) return;
    this.partial += s;
    if (this.partial.length > MAX_LINE) {
      this.partial = this.partial.slice(0, MAX_LINE);
      this.overlong = true;
    }
  }

  private emit(text: string, from: number, to: number): void {
    let line: string;
    if (this.partial.length > 0 || this.overlong) {
      if (!this.overlong) this.keep(text.slice(from, to));
      line = this.partial;
      this.partial = '';
      this.overlong = false;
    } else {
      line = to - from > MAX_LINE ? text.slice(from, from + MAX_LINE) : text.slice(from, to);
    }
    let e = line.length;
    while (e > 0 && line.charCodeAt(e - 1) === 13) e--;
    this.onLine(e === line.length ? line : line.slice(0, e));
  }
}
