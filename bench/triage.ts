// Triage throughput on a large console log: boot-like noise with crash reports
// sprinkled in, built in memory. Run: npm run build && node dist/bench/triage.js [MB]
// With --real, the log is the real captures (test/fixtures/console/real-*.log) repeated to MB:
// crash-dense, a report every few KB, the other end from the generated log's one per 3 MB.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CrashDetector, triage } from '../harness/console/detector.js';

const NOISE = [
  'systemd[1]: Started session-%d.scope - Session %d of User root.',
  'virtio_net virtio1 enp0s2: renamed from eth0',
  'EXT4-fs (vda): re-mounted %d. Quota mode: none.',
  'audit: type=1400 audit(1700000000.%d:42): apparmor="STATUS" operation="profile_load" name="/usr/bin/man" pid=%d comm="apparmor_parser"',
  'usb 1-1: new high-speed USB device number %d using xhci_hcd',
  'sd 0:0:0:0: [sda] %d 512-byte logical blocks: (1.07 GB/1.00 GiB)',
  'ZFS: Loaded module v2.3.2-2~bpo12+2, ZFS pool version 5000, ZFS filesystem version 5',
  'krepro: step %d: run: zfs send -w src/ds@snap | zfs recv -s usbpool/ds',
  'random: crng init done',
  'BTRFS info (device vdb): using crc32c (crc32c-intel) checksum algorithm',
  'rcu: 	RCU CPU stall warnings timeout set to 21 (rcu_cpu_stall_timeout).',
  'Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!',
];

const CRASH = [
  '------------[ cut here ]------------',
  'WARNING: CPU: 1 PID: %d at fs/zfs/zio.c:123 zio_done+0x15/0x20 [zfs]',
  'Modules linked in: zfs(POE) spl(OE) virtio_net',
  'CPU: 1 PID: %d Comm: z_wr_iss Tainted: P           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2',
  'RIP: 0010:zio_done+0x15/0x20 [zfs]',
  'RSP: 0018:ffffb3c2c05b3e20 EFLAGS: 00010246',
  'Call Trace:',
  ' <TASK>',
  ' zio_execute+0x83/0x120 [zfs]',
  ' taskq_thread+0x331/0x6f0 [spl]',
  ' kthread+0xda/0x100',
  ' ret_from_fork+0x22/0x30',
  ' </TASK>',
  '---[ end trace 0000000000000000 ]---',
];

function buildLog(targetBytes: number): { text: string; crashes: number } {
  const parts: string[] = [];
  let size = 0;
  let t = 0;
  let i = 0;
  let crashes = 0;
  const emit = (s: string) => {
    t += 0.000731;
    const line = `[${t.toFixed(6).padStart(12)}] ${s.replace(/%d/g, String(i))}\n`;
    parts.push(line);
    size += line.length;
  };
  while (size < targetBytes) {
    i++;
    if (i % 20000 === 0) {
      crashes++;
      for (const c of CRASH) emit(c);
    } else {
      emit(NOISE[i % NOISE.length]!);
    }
  }
  return { text: parts.join(''), crashes };
}

/** The real captures, repeated to about targetBytes; crashes: what triage finds in one copy, times the copies. */
function realLog(targetBytes: number): { text: string; crashes: number } {
  const dir = join(import.meta.dirname, '../../test/fixtures/console');
  // Each capture on its own: the fold window must not join the last report of one to the first of the next.
  const one = readdirSync(dir).filter((f) => f.startsWith('real-') && f.endsWith('.log')).sort()
    .map((f) => readFileSync(join(dir, f), 'utf8')).map((t) => (t.endsWith('\n') ? t : `${t}\n`) + '\n'.repeat(120)).join('');
  const copies = Math.max(1, Math.round(targetBytes / Buffer.byteLength(one)));
  return { text: one.repeat(copies), crashes: triage(one).length * copies };
}

const real = process.argv.includes('--real');
const mb = Number(process.argv.find((a, i) => i >= 2 && !a.startsWith('--')) ?? 120);
const { text, crashes } = real ? realLog(mb * 1024 * 1024) : buildLog(mb * 1024 * 1024);
const bytes = Buffer.byteLength(text);
// Wall time and this process's CPU time: on a host shared with other builds and VMs the wall figure
// measures the neighbours, the CPU figure the detector.
const started = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const reports = triage(text);
const cpuSeconds = process.cpuUsage(cpu0).user / 1e6;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const size = bytes / 1024 / 1024;
console.log(`triage${real ? ' (real captures)' : ''}: ${size.toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(size / seconds).toFixed(1)} MB/s wall, ${(size / cpuSeconds).toFixed(1)} MB/s of CPU (${reports.length} reports, ${crashes} planted)`);
// The live path: bytes in 64 KiB chunks as QEMU delivers them.
const buf = Buffer.from(text);
const liveStart = process.hrtime.bigint();
const d = new CrashDetector();
for (let o = 0; o < buf.length; o += 65536) d.feed(buf.subarray(o, o + 65536));
const live = d.flush(true);
const liveSeconds = Number(process.hrtime.bigint() - liveStart) / 1e9;
console.log(`triage (64 KiB Buffer chunks): ${size.toFixed(1)} MB in ${liveSeconds.toFixed(2)} s = ${(size / liveSeconds).toFixed(1)} MB/s (${live.length} reports)`);
if (reports.length !== crashes || live.length !== crashes) {
  console.error(`triage: expected ${crashes} reports`);
  process.exitCode = 1;
}
