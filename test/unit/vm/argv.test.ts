import t from 'tap';
import { buildArgv, scsiChildQomPath, usbDeviceProps, type VmConfig } from '../../../harness/vm/argv.js';

const base: VmConfig = {
  qemu: 'qemu-system-x86_64',
  accel: 'tcg',
  cpus: 2,
  memoryMiB: 2048,
  kernel: '/cache/vmlinuz',
  initrd: '/cache/initrd.cpio.gz',
  append: 'console=ttyS0 panic=-1',
  disks: [
    { id: 'tank', file: '/runs/1/tank.qcow2', format: 'qcow2', bus: 'virtio', serial: 'tank' },
    { id: 'stick', file: '/runs/1/stick.raw', format: 'raw', bus: 'usb', serial: 'stick', removable: true },
  ],
  sshHostPort: 10022,
  qmpSocket: '/tmp/krepro-x/qmp.sock',
};

/** Values of every occurrence of a flag. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
}
function value(argv: string[], flag: string): string | undefined {
  return values(argv, flag)[0];
}

t.test('machine basics', async (t) => {
  const argv = buildArgv(base);
  t.equal(value(argv, '-machine'), 'q35');
  t.equal(value(argv, '-smp'), '2');
  t.equal(value(argv, '-m'), '2048');
  for (const flag of ['-nodefaults', '-no-user-config', '-no-reboot']) t.ok(argv.includes(flag), flag);
  t.equal(value(argv, '-display'), 'none');
  t.equal(value(argv, '-action'), 'panic=pause', 'a guest panic pauses for evidence');
  t.ok(values(argv, '-device').includes('pvpanic-pci'));
  t.ok(values(argv, '-device').includes('virtio-rng-pci'));
  t.notOk(argv.includes('qemu-system-x86_64'), 'binary is not part of argv');
});

t.test('accelerator and cpu model', async (t) => {
  const tcg = buildArgv(base);
  t.match(value(tcg, '-accel'), /^tcg\b/);
  t.equal(value(tcg, '-cpu'), 'max', 'TCG gets aes/sse4/avx2 from -cpu max');
  const kvm = buildArgv({ ...base, accel: 'kvm' });
  t.equal(value(kvm, '-accel'), 'kvm');
  t.equal(value(kvm, '-cpu'), 'host');
});

t.test('serial console on stdio, QMP on the unix socket, ssh on loopback', async (t) => {
  const argv = buildArgv(base);
  const chardevs = values(argv, '-chardev');
  const con = chardevs.find((c) => c.startsWith('stdio,'));
  t.ok(con, 'a stdio chardev');
  t.match(con, /id=con0/);
  t.match(con, /signal=off/);
  t.equal(value(argv, '-serial'), 'chardev:con0');
  const qmp = chardevs.find((c) => c.startsWith('socket,'));
  t.match(qmp, /path=\/tmp\/krepro-x\/qmp\.sock/);
  t.match(qmp, /server=on/);
  t.match(qmp, /wait=off/);
  const qmpId = /id=([^,]+)/.exec(qmp!)![1];
  t.equal(value(argv, '-mon'), `chardev=${qmpId},mode=control`);
  t.equal(value(argv, '-netdev'), 'user,id=net0,hostfwd=tcp:127.0.0.1:10022-:22');
  t.ok(values(argv, '-device').includes('virtio-net-pci,netdev=net0'));
});

t.test('kernel, initrd and command line', async (t) => {
  const argv = buildArgv(base);
  t.equal(value(argv, '-kernel'), '/cache/vmlinuz');
  t.equal(value(argv, '-initrd'), '/cache/initrd.cpio.gz');
  t.equal(value(argv, '-append'), 'console=ttyS0 panic=-1');
  const noKernel = buildArgv({ ...base, kernel: undefined, initrd: undefined, append: undefined });
  t.notOk(noKernel.includes('-kernel'));
  t.throws(() => buildArgv({ ...base, kernel: undefined }), /without a kernel/);
});

t.test('disks are named blockdev nodes with devices on them', async (t) => {
  const argv = buildArgv(base);
  const nodes = values(argv, '-blockdev');
  t.same(nodes, [
    'driver=file,node-name=tank-file,filename=/runs/1/tank.qcow2',
    'driver=qcow2,node-name=tank,file=tank-file',
    'driver=file,node-name=stick-file,filename=/runs/1/stick.raw',
    'driver=raw,node-name=stick,file=stick-file',
  ]);
  const devices = values(argv, '-device');
  t.ok(devices.includes('virtio-blk-pci,drive=tank,id=tank,serial=tank'));
  t.ok(devices.includes('qemu-xhci,id=xhci'));
  t.ok(devices.includes('usb-storage,bus=xhci.0,drive=stick,id=stick,serial=stick,removable=on'));
  t.ok(devices.indexOf('qemu-xhci,id=xhci') < devices.findIndex((d) => d.startsWith('usb-storage')), 'controller before its device');
});

t.test('xhci only when a usb disk exists', async (t) => {
  const argv = buildArgv({ ...base, disks: [base.disks[0]!] });
  t.notOk(values(argv, '-device').some((d) => d.startsWith('qemu-xhci')));
});

t.test('usb re-plug properties are those of the -device', async (t) => {
  const stick = base.disks[1]!;
  t.same(usbDeviceProps(stick), { driver: 'usb-storage', bus: 'xhci.0', drive: 'stick', id: 'stick', serial: 'stick', removable: true });
  const dev = values(buildArgv(base), '-device').find((d) => d.startsWith('usb-storage'))!;
  const [driver, ...kv] = dev.split(',');
  const fromArgv = Object.fromEntries(kv.map((p) => p.split('=') as [string, string]));
  const props = usbDeviceProps(stick);
  t.equal(driver, props.driver);
  for (const [k, v] of Object.entries(props)) if (k !== 'driver') t.equal(fromArgv[k], v === true ? 'on' : v === false ? 'off' : v, k);
  t.equal(scsiChildQomPath('stick'), '/machine/peripheral/stick/stick.0/legacy[0]');
});

t.test('commas in paths are escaped; extra args go last', async (t) => {
  const argv = buildArgv({
    ...base,
    disks: [{ id: 'd0', file: '/a,b/d.raw', format: 'raw', bus: 'virtio', serial: 's' }],
    qmpSocket: '/tmp/x,y/qmp.sock',
    extra: ['-s'],
  });
  t.ok(values(argv, '-blockdev').includes('driver=file,node-name=d0-file,filename=/a,,b/d.raw'));
  t.ok(values(argv, '-chardev').some((c) => c.includes('path=/tmp/x,,y/qmp.sock,')));
  t.equal(argv.at(-1), '-s');
});

t.test('bad configurations are refused with a reason', async (t) => {
  t.throws(() => buildArgv({ ...base, cpus: 0 }), /cpus/);
  t.throws(() => buildArgv({ ...base, memoryMiB: 1.5 }), /memoryMiB/);
  t.throws(() => buildArgv({ ...base, sshHostPort: 70000 }), /sshHostPort/);
  t.throws(() => buildArgv({ ...base, disks: [{ ...base.disks[0]!, id: '0bad' }] }), /valid QEMU id/);
  t.throws(() => buildArgv({ ...base, disks: [base.disks[0]!, base.disks[0]!] }), /duplicate/);
  t.throws(() => buildArgv({ ...base, disks: [{ ...base.disks[0]!, serial: 'x'.repeat(21) }] }), /20 bytes/);
  t.throws(() => buildArgv({ ...base, qmpSocket: `/tmp/${'x'.repeat(120)}` }), /too long/);
});

t.test('a restore starts paused for a deferred incoming stream; every machine has a VM generation ID', async (t) => {
  t.notOk(buildArgv(base).includes('-incoming'), 'a boot has no -incoming');
  const restore = buildArgv({ ...base, incoming: 'defer' });
  t.equal(value(restore, '-incoming'), 'defer');
  t.same(restore.filter((a, i) => a !== '-incoming' && restore[i - 1] !== '-incoming'), buildArgv(base),
    'otherwise the very argv of a boot: a migration stream needs the same devices');
  t.ok(values(buildArgv(base), '-device').includes('vmgenid,guid=auto'), 'a new generation ID per QEMU: a restored kernel reseeds its RNG');
});
