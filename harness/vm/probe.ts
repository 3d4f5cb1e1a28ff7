// A real, tiny boot to find out whether an accelerator works: /dev/kvm can
// exist and open fine while KVM asserts or hangs (nested sandboxes), so only
// running guest code proves anything. SeaBIOS boots a 512-byte boot sector
// that prints a marker on COM1 and exits QEMU through isa-debug-exit.

import { mkdtemp, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as reaper from './reaper.js';
import { spawnQemu, spawned } from './spawn.js';

/** What the boot sector prints on the serial port. */
export const PROBE_MARKER = 'KREPRO-PROBE-OK';

const DEBUG_EXIT_PORT = 0xf4;

/** The 512-byte boot sector: print PROBE_MARKER on COM1 (0x3f8), then write to isa-debug-exit. */
export function probeBootSector(): Buffer {
  const msg = Buffer.from(`${PROBE_MARKER}\r\n\0`, 'latin1');
  // 16-bit real mode, loaded at 0000:7c00.
  const code = [
    0x31, 0xc0, //             xor ax, ax
    0x8e, 0xd8, //             mov ds, ax        ; BIOSes differ on DS at entry
    0xfc, //                   cld
    0xba, 0xf8, 0x03, //       mov dx, 0x3f8     ; COM1 data register
    0xbe, 0x00, 0x00, //       mov si, msg       ; patched below
    0xac, //             next: lodsb
    0x84, 0xc0, //             test al, al
    0x74, 0x03, //             jz done
    0xee, //                   out dx, al
    0xeb, 0xf8, //             jmp next
    0xba, DEBUG_EXIT_PORT, 0x00, // done: mov dx, 0xf4
    0xb0, 0x00, //             mov al, 0         ; QEMU exits with (0 << 1) | 1 = 1
    0xee, //                   out dx, al
    0xf4, //             halt: hlt               ; only reached without isa-debug-exit
    0xeb, 0xfd, //             jmp halt
  ];
  const msgAddr = 0x7c00 + code.length;
  code[9] = msgAddr & 0xff;
  code[10] = msgAddr >> 8;
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  msg.copy(sector, code.length);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The argv (without the binary) that boots the probe disk under an accelerator. */
export function probeArgv(accel: 'kvm' | 'tcg', disk: string): string[] {
  return [
    '-machine', 'q35',
    '-accel', accel,
    '-cpu', accel === 'kvm' ? 'host' : 'max',
    '-m', '32',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', 'stdio',
    '-device', `isa-debug-exit,iobase=${DEBUG_EXIT_PORT},iosize=0x04`,
    // snapshot=on: the probe never writes its disk.
    '-drive', `file=${disk},format=raw,if=ide,snapshot=on`,
  ];
}

export interface ProbeResult {
  ok: boolean;
  /** Wall time from spawn to marker (or failure). */
  ms: number;
  /** Why it failed: QEMU's stderr, exit status or "timed out". */
  detail: string;
}

/** Boot the probe sector under `accel`; ok only if the marker reaches the serial port in time. */
export async function runProbe(qemu: string, accel: 'kvm' | 'tcg', timeoutMs = 10_000): Promise<ProbeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'krepro-probe-'));
  const disk = join(dir, 'probe.img');
  try {
    await writeFile(disk, probeBootSector());
    // SeaBIOS refuses a disk too small to have a CHS geometry; 1 MiB (sparse) is enough.
    await truncate(disk, 1 << 20);
    const started = Date.now();
    const child = spawnQemu(qemu, probeArgv(accel, disk));
    const err = await spawned(child);
    if (err) return { ok: false, ms: Date.now() - started, detail: `could not run ${qemu}: ${err.message}` };
    const entry: reaper.Reapable = {
      pid: child.pid!,
      stop: async () => void child.kill('SIGKILL'),
    };
    reaper.register(entry);
    let out = '';
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const result = await new Promise<ProbeResult>((resolve) => {
      const finish = (ok: boolean, detail: string): void => {
        clearTimeout(timer);
        resolve({ ok, ms: Date.now() - started, detail });
      };
      const timer = setTimeout(() => finish(false, `no marker within ${timeoutMs} ms (hung)`), timeoutMs);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString('latin1');
        if (out.includes(PROBE_MARKER)) finish(true, '');
      });
      // 'close' (not 'exit'): stdout is fully read, so a late marker still counts.
      child.once('close', (code, sig) => finish(out.includes(PROBE_MARKER), exitDetail(code, sig, stderr)));
    });
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    reaper.unregister(entry);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function exitDetail(code: number | null, sig: string | null, stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const status = sig ? `killed by ${sig}` : `exit code ${code}`;
  return `QEMU ${status}${lines.length ? `: ${lines.slice(-2).join(' / ')}` : ''}`;
}
