// AbortSignal plumbing with strong references. Node 20's AbortSignal.any() holds
// its sources weakly, so an AbortSignal.timeout() passed to it can be collected
// and never fire — a boot timeout that silently never came.

/** A controller aborted when any of `signals` aborts (with that signal's reason). */
export function linkedController(...signals: AbortSignal[]): AbortController {
  const ac = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      ac.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  }
  return ac;
}

/** A signal aborted after `ms` or when any of `signals` aborts; `timedOut()` tells which. */
export function deadline(ms: number, ...signals: AbortSignal[]): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  const ac = linkedController(...signals);
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    ac.abort(new Error(`timed out after ${ms / 1000}s`));
  }, ms);
  return { signal: ac.signal, timedOut: () => fired, clear: () => clearTimeout(timer) };
}

/**
 * Wait `ms`, or less if `signal` aborts first (it resolves either way: callers
 * check the signal). `unref`: the timer alone does not keep krepro alive.
 */
export function sleep(ms: number, signal?: AbortSignal, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    if (opts.unref) t.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
