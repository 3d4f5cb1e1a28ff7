// Durations, sizes and `until:` conditions as users write them.
import t from 'tap';
import { formatDuration, parseDuration, parseQuantity, parseSize } from '../../../harness/scenario/duration.js';
import { parseUntil } from '../../../harness/scenario/until.js';

const K = 1024;
const M = K * K;
const G = K * M;

t.test('parseDuration', async (t) => {
  const cases: Array<[string | number, number]> = [
    ['500ms', 500], ['2s', 2000], ['10m', 600_000], ['1h', 3_600_000], ['1m30s', 90_000], ['1h30m', 5_400_000],
    ['1.5s', 1500], ['2d', 172_800_000], ['90', 90_000], [' 2s ', 2000], ['0s', 0], [90, 90_000], [0.25, 250], [0, 0],
  ];
  for (const [input, ms] of cases) t.equal(parseDuration(input), ms, JSON.stringify(input));
  for (const bad of ['90x', '', 's', '1 s', '-2s', '1m 30s', '10M', 'ms', '1.s']) {
    t.throws(() => parseDuration(bad), { message: `invalid duration '${bad}' (expected e.g. 500ms, 2s, 10m, 1h, 1m30s, or a number of seconds)` }, bad);
  }
  t.throws(() => parseDuration(-1), /non-negative/);
  t.throws(() => parseDuration(Infinity), /non-negative/);
});

t.test('parseSize uses binary units; a plain number is bytes', async (t) => {
  const cases: Array<[string | number, number]> = [
    ['2G', 2 * G], ['512M', 512 * M], ['100M', 100 * M], ['1.5G', 1.5 * G], ['10K', 10 * K], ['1T', K * G],
    ['2GiB', 2 * G], ['2GB', 2 * G], ['2g', 2 * G], ['4096', 4096], ['4096B', 4096], ['1 G', G], [4096, 4096], [0, 0],
  ];
  for (const [input, bytes] of cases) t.equal(parseSize(input), bytes, JSON.stringify(input));
  for (const bad of ['2X', '', 'G', '-1G', '1.5.G', '2 GiBs']) t.throws(() => parseSize(bad), /^invalid size/, bad);
  t.throws(() => parseSize('1.3K'), { message: "invalid size '1.3K' (not a whole number of bytes)" });
  t.throws(() => parseSize(1.5), /not a whole number/);
  t.throws(() => parseSize(-1), /invalid size/);
});

t.test('parseQuantity allows signs and fractions (until operands)', async (t) => {
  t.equal(parseQuantity('-3'), -3);
  t.equal(parseQuantity('0.5K'), 512);
  t.equal(parseQuantity('12 files'), undefined);
});

t.test('formatDuration', async (t) => {
  t.same([0, 500, 1000, 90_000, 3_600_000, 5_401_500].map(formatDuration), ['0ms', '500ms', '1s', '1m30s', '1h', '1h30m1s500ms']);
});

t.test('parseUntil: comparisons with size suffixes, or a /regex/', async (t) => {
  t.same(parseUntil('>= 100M'), { kind: 'compare', op: '>=', value: 100 * M });
  t.same(parseUntil('>100M'), { kind: 'compare', op: '>', value: 100 * M });
  t.same(parseUntil('== 3'), { kind: 'compare', op: '==', value: 3 });
  t.same(parseUntil('!= 0'), { kind: 'compare', op: '!=', value: 0 });
  t.same(parseUntil('<= 1.5G'), { kind: 'compare', op: '<=', value: 1.5 * G });
  t.same(parseUntil('< -1'), { kind: 'compare', op: '<', value: -1 });
  t.same(parseUntil('/ONLINE/'), { kind: 'match', regex: 'ONLINE' });
  t.same(parseUntil(' /state: (ONLINE|DEGRADED)/ '), { kind: 'match', regex: 'state: (ONLINE|DEGRADED)' });
  t.same(parseUntil('/a/b/'), { kind: 'match', regex: 'a/b' }, 'inner slashes need no escaping');
  t.throws(() => parseUntil('about 100M'), /^invalid condition 'about 100M'/);
  t.throws(() => parseUntil('>= lots'), /^invalid number 'lots'/);
  t.throws(() => parseUntil('= 3'), /^invalid condition/);
  t.throws(() => parseUntil('/(/'), { message: 'invalid regex /(/: Unterminated group' });
  t.throws(() => parseUntil('/'), /^invalid condition/);
});
