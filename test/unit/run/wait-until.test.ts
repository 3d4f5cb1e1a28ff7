import t from 'tap';
import { satisfies } from '../../../harness/run/steps/wait.js';

t.test('numeric comparisons read sizes with binary suffixes', async (t) => {
  t.ok(satisfies('104857600\n', { kind: 'compare', op: '>=', value: 100 * 1024 * 1024 }));
  t.notOk(satisfies('104857599', { kind: 'compare', op: '>=', value: 100 * 1024 * 1024 }));
  t.ok(satisfies('150M', { kind: 'compare', op: '>', value: 100 * 1024 * 1024 }));
  t.ok(satisfies('1.5G', { kind: 'compare', op: '>', value: 1024 ** 3 }));
  t.ok(satisfies('0', { kind: 'compare', op: '==', value: 0 }));
});

t.test('the last line of multi-line output is compared', async (t) => {
  t.ok(satisfies('header\n42', { kind: 'compare', op: '==', value: 42 }));
});

t.test('non-numeric output never satisfies a comparison', async (t) => {
  t.notOk(satisfies('-', { kind: 'compare', op: '>=', value: 0 }));
  t.notOk(satisfies('', { kind: 'compare', op: '>=', value: 0 }));
});

t.test('regex conditions match anywhere, multiline', async (t) => {
  t.ok(satisfies('pool: tank\n state: SUSPENDED\n', { kind: 'match', regex: '^\\s*state: SUSPENDED' }));
  t.notOk(satisfies('state: ONLINE', { kind: 'match', regex: 'SUSPENDED' }));
});
