import t from 'tap';
import { moduleClosure, moduleName, readModuleIndex } from '../../../../harness/artifacts/image/module-closure.js';

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
