// The QMP arguments behind fault steps, exactly as QEMU 7.2 accepts them (checked by hand and in test/e2e/fault-*.test.ts).
import t from 'tap';
import { blkdebugNode, reopenFormatNode, throttleArgs, throttleTarget } from '../../../harness/vm/faults.js';

t.test('blkdebug: immediate write errors need no states', async (t) => {
  t.same(blkdebugNode('tank', 'tank-err1', 'write', 0, 5), {
    driver: 'blkdebug', 'node-name': 'tank-err1', image: 'tank-file',
    'inject-error': [{ event: 'write_aio', iotype: 'write', errno: 5 }, { event: 'write_aio', iotype: 'write-zeroes', errno: 5 }],
  });
});

t.test('blkdebug: after N counts matching requests through states 1..N, errors in state N+1', async (t) => {
  const n = blkdebugNode('d', 'd-err2', 'read', 3, 28) as { 'inject-error': unknown[]; 'set-state': unknown[] };
  t.same(n['inject-error'], [{ event: 'read_aio', iotype: 'read', errno: 28, state: 4 }]);
  t.same(n['set-state'], [
    { event: 'read_aio', state: 1, new_state: 2 },
    { event: 'read_aio', state: 2, new_state: 3 },
    { event: 'read_aio', state: 3, new_state: 4 },
  ]);
});

t.test('blkdebug: all counts reads and writes and fails every request type', async (t) => {
  const n = blkdebugNode('d', 'd-err3', 'all', 1, 5) as { 'inject-error': Array<{ event: string; iotype: string }>; 'set-state': unknown[] };
  t.equal(n['inject-error'].length, 10, '2 events × 5 request types');
  t.same(new Set(n['inject-error'].map((r) => r.iotype)), new Set(['read', 'write', 'write-zeroes', 'discard', 'flush']));
  t.same(n['set-state'], [{ event: 'read_aio', state: 1, new_state: 2 }, { event: 'write_aio', state: 1, new_state: 2 }]);
});

t.test('reopen swaps the format node file child', async (t) => {
  t.same(reopenFormatNode({ id: 'tank', format: 'raw' }, 'tank-err1'), { options: [{ driver: 'raw', 'node-name': 'tank', file: 'tank-err1' }] });
});

t.test('throttle targets the device that owns the block backend', async (t) => {
  t.equal(throttleTarget({ id: 'stick', bus: 'usb' }), '/machine/peripheral/stick/stick.0/legacy[0]');
  t.equal(throttleTarget({ id: 'tank', bus: 'virtio' }), '/machine/peripheral/tank/virtio-backend');
  t.same(throttleArgs({ id: 'tank', bus: 'virtio' }, { bps: 0, bps_rd: 0, bps_wr: 1024, iops: 0, iops_rd: 0, iops_wr: 0 }),
    { id: '/machine/peripheral/tank/virtio-backend', bps: 0, bps_rd: 0, bps_wr: 1024, iops: 0, iops_rd: 0, iops_wr: 0 });
});
