// Modules on demand (images/base.yaml `autoload:`): a boot loads only what every
// machine has; device drivers come by modalias (coldplug at boot, hotplug after),
// filesystems when the kernel asks for them — all through the guest's modprobe.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from './helpers.js';

t.test('drivers and filesystems load when the machine or a mount needs them', async (t) => {
  const { res, dir, output } = await runScenario(t, 'test/e2e/scenarios/modules-on-demand.yaml', 'modules-on-demand');
  t.equal(res.verdict, 'passed', res.message, { output });
  const out = async (i: number): Promise<string> => readFile(join(dir, res.steps[i]!.output!), 'utf8');
  const before = (await out(0)).trim().split(/\s+/);
  t.ok(before.includes('virtio_blk'), 'the virtio disk brought its driver (coldplug)');
  t.ok(before.includes('usb_storage') && before.includes('sd_mod'), 'the USB stick brought usb-storage and sd_mod');
  t.notOk(before.includes('ext4') || before.includes('vfat'), `no filesystem module before a mount asked: ${before.join(' ')}`);
  t.equal((await out(1)).trim(), '0', "usb-storage got the recipe's delay_use=0 through modprobe.d");
  const after = (await out(4)).trim().split(/\s+/);
  for (const m of ['ext4', 'vfat', 'nls_ascii']) t.ok(after.includes(m), `${m} loaded by the mount`);
});
