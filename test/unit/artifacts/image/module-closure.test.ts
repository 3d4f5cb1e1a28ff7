import t from 'tap';
import { imageModulePath, moduleClosure, moduleName, readModuleIndex } from '../../../../harness/artifacts/image/module-closure.js';

t.test('module names as the kernel sees them', async (t) => {
  t.equal(moduleName('kernel/drivers/usb/storage/usb-storage.ko'), 'usb_storage');
  t.equal(moduleName('extra/zfs.ko.xz'), 'zfs');
});

t.test('closure: dependencies first, each once, params kept, built-ins skipped', async (t) => {
  const dir = t.testdir({
    'modules.dep': [
      'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko',
      'kernel/fs/jbd2/jbd2.ko:',
      'kernel/fs/mbcache.ko:',
      'kernel/lib/crc16.ko:',
      'kernel/drivers/usb/storage/usb-storage.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/usb/core/usbcore.ko kernel/drivers/usb/common/usb-common.ko',
      'kernel/drivers/scsi/scsi_mod.ko:',
      'kernel/drivers/usb/core/usbcore.ko: kernel/drivers/usb/common/usb-common.ko',
      'kernel/drivers/usb/common/usb-common.ko:',
      '',
    ].join('\n'),
    'modules.builtin': 'kernel/drivers/block/loop.ko\n',
  });
  const idx = await readModuleIndex(dir);
  const loads = moduleClosure(idx, ['usb-storage delay_use=0', 'loop', 'ext4', 'jbd2']);
  t.same(loads.map((m) => m.name), ['scsi_mod', 'usb_common', 'usbcore', 'usb_storage', 'jbd2', 'mbcache', 'crc16', 'ext4']);
  t.same(loads.find((m) => m.name === 'usb_storage')?.params, ['delay_use=0']);
  t.throws(() => moduleClosure(idx, ['nope', 'ext4']), /not found .*: nope/);
});

t.test("an optional module (name?) is left out when the kernel lacks it: bullseye's 5.10 has no pvpanic_pci", async (t) => {
  // 5.10.0-32-amd64's modules.dep has pvpanic (ISA/ACPI) but no pvpanic-pci, which came in 5.12.
  const v510 = t.testdir({
    'modules.dep': 'kernel/drivers/misc/pvpanic.ko:\nkernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko\nkernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\nkernel/net/core/failover.ko:\n',
  });
  const old = await readModuleIndex(v510);
  t.same(moduleClosure(old, ['virtio_net', 'pvpanic_pci?']).map((m) => m.name), ['failover', 'net_failover', 'virtio_net']);
  t.throws(() => moduleClosure(old, ['virtio_net', 'pvpanic_pci']), /not found .*: pvpanic_pci/, 'without ? it is still an error');
  // trixie's 6.12: compressed, and present — so it is loaded.
  const v612 = t.testdir({ 'modules.dep': 'kernel/drivers/misc/pvpanic/pvpanic-pci.ko.xz: kernel/drivers/misc/pvpanic/pvpanic.ko.xz\nkernel/drivers/misc/pvpanic/pvpanic.ko.xz:\n' });
  t.same(moduleClosure(await readModuleIndex(v612), ['pvpanic_pci?']).map((m) => m.path),
    ['kernel/drivers/misc/pvpanic/pvpanic.ko.xz', 'kernel/drivers/misc/pvpanic/pvpanic-pci.ko.xz']);
});

t.test("compressed modules go into the image unpacked: trixie's .ko.xz become .ko", async (t) => {
  t.equal(imageModulePath('kernel/drivers/misc/pvpanic/pvpanic-pci.ko.xz'), 'kernel/drivers/misc/pvpanic/pvpanic-pci.ko');
  t.equal(imageModulePath('kernel/fs/ext4/ext4.ko.zst'), 'kernel/fs/ext4/ext4.ko');
  t.equal(imageModulePath('kernel/fs/ext4/ext4.ko'), 'kernel/fs/ext4/ext4.ko');
  t.equal(imageModulePath('extra/xz.ko'), 'extra/xz.ko');
});
