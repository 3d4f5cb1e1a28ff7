// An attempt as ordered phases, each set up with its cleanup beside it
// (Playwright's task runner, QEMU's launch/shutdown split): teardowns run in
// reverse order whatever failed, so nothing a phase started outlives the
// attempt — a snapshot restore slots in as one phase in place of a boot.
import { errorMessage } from '../util/errors.js';

/** Where phase boundaries are recorded (the attempt's timeline). */
export interface PhaseLog {
  event(kind: string, data?: unknown): void;
}

export class Phases {
  private readonly teardowns: Array<{ name: string; fn: () => Promise<void> | void }> = [];

  /** `stop`: once aborted, no further phase starts (Ctrl-C while an earlier phase ran must not boot a VM). */
  constructor(private readonly log: PhaseLog, private readonly stop?: AbortSignal) {}

  /**
   * Run `setup`; when it succeeds and `teardown` is given, remember the
   * teardown for `teardownAll`. A setup that throws has nothing to tear down:
   * it cleans up what it half-made itself.
   */
  async run<T>(name: string, setup: () => Promise<T>, teardown?: (value: T) => Promise<void> | void): Promise<T> {
    this.stop?.throwIfAborted();
    const value = await setup();
    if (teardown) this.teardowns.push({ name, fn: () => teardown(value) });
    return value;
  }

  /** Tear down every phase set up so far, last first; a teardown that fails is recorded and the rest still run. */
  async teardownAll(): Promise<void> {
    for (const t of this.teardowns.splice(0).reverse()) {
      try {
        await t.fn();
      } catch (e) {
        this.log.event('teardown-failed', { phase: t.name, error: errorMessage(e) });
      }
    }
  }
}
