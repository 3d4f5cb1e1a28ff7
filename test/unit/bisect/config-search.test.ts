import t from 'tap';
import { parseConfig } from '../../../harness/artifacts/kernel/kconfig.js';
import { appliedChanges, changeFragment, configDiff, ddmin, partition, type ConfigTest } from '../../../harness/bisect/config-search.js';

// Lines as olddefconfig writes them (6.12 tinyconfig + qemu-virt, with and without IKCONFIG_PROC).
const GOOD = `CONFIG_PROC_FS=y
# CONFIG_IKCONFIG is not set
CONFIG_LOG_BUF_SHIFT=17
CONFIG_DEFAULT_HOSTNAME="(none)"
`;
const BAD = `CONFIG_PROC_FS=y
CONFIG_IKCONFIG=y
CONFIG_IKCONFIG_PROC=y
CONFIG_LOG_BUF_SHIFT=18
CONFIG_DEFAULT_HOSTNAME="krepro"
`;

t.test('configDiff: every option whose final value differs, absent = not set, by name', async (t) => {
  const d = configDiff(parseConfig(GOOD), parseConfig(BAD));
  t.same(d, [
    { symbol: 'DEFAULT_HOSTNAME', good: '"(none)"', bad: '"krepro"' },
    { symbol: 'IKCONFIG', good: 'n', bad: 'y' },
    { symbol: 'IKCONFIG_PROC', good: 'n', bad: 'y' },
    { symbol: 'LOG_BUF_SHIFT', good: '17', bad: '18' },
  ]);
  t.same(configDiff(parseConfig(GOOD), parseConfig(GOOD)), [], 'the same config: nothing');
  t.equal(changeFragment(d, 'bad'), 'CONFIG_DEFAULT_HOSTNAME="krepro"\nCONFIG_IKCONFIG=y\nCONFIG_IKCONFIG_PROC=y\nCONFIG_LOG_BUF_SHIFT=18\n');
  t.equal(changeFragment(d, 'good'), 'CONFIG_DEFAULT_HOSTNAME="(none)"\n# CONFIG_IKCONFIG is not set\n# CONFIG_IKCONFIG_PROC is not set\nCONFIG_LOG_BUF_SHIFT=17\n');
  // A config where IKCONFIG_PROC was dropped (its dependency not applied): only what stuck counts.
  t.same(appliedChanges(d, parseConfig(GOOD.replace('# CONFIG_IKCONFIG is not set', 'CONFIG_IKCONFIG=y'))), ['IKCONFIG']);
});

t.test('partition: n nearly equal consecutive parts, none empty', async (t) => {
  t.same(partition([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4, 5]]);
  t.same(partition([1, 2, 3, 4, 5], 5), [[1], [2], [3], [4], [5]]);
  t.same(partition([1, 2, 3], 4), [[1], [2], [3]]);
});

/**
 * A toy Kconfig: `deps` (X depends on Y: X is dropped without Y), `selects` (X pulls Y in),
 * and the scenario's behaviour on the applied set. Counts the builds a real search would do.
 */
function kconfig(o: { deps?: Record<string, string[]>; selects?: Record<string, string[]>; fails: (applied: Set<string>) => boolean; breaks?: (applied: Set<string>) => boolean }) {
  const tested: string[][] = [];
  const test = async (set: string[]): Promise<ConfigTest> => {
    const applied = new Set(set);
    for (let changed = true; changed;) {
      changed = false;
      for (const [x, ys] of Object.entries(o.selects ?? {})) for (const y of ys) if (applied.has(x) && !applied.has(y)) { applied.add(y); changed = true; }
      for (const [x, ys] of Object.entries(o.deps ?? {})) if (applied.has(x) && ys.some((y) => !applied.has(y))) { applied.delete(x); changed = true; }
    }
    const effective = [...applied].sort();
    if (effective.length) tested.push(effective);
    if (o.breaks?.(applied)) return { verdict: 'skip', effective };
    return { verdict: effective.length && o.fails(applied) ? 'bad' : 'good', effective };
  };
  return { test, tested };
}

const ALL = Array.from({ length: 16 }, (_, i) => `OPT_${String.fromCharCode(65 + i)}`);

t.test('ddmin: one culprit among 16 changes in a handful of tests', async (t) => {
  for (const culprit of ['OPT_A', 'OPT_G', 'OPT_P']) {
    const k = kconfig({ fails: (a) => a.has(culprit) });
    t.same(await ddmin(ALL, k.test), [culprit], culprit);
    t.ok(k.tested.length <= 8, `${culprit}: ${k.tested.length} tests`);
  }
});

t.test('ddmin: two changes that fail only together are both named', async (t) => {
  const k = kconfig({ fails: (a) => a.has('OPT_C') && a.has('OPT_N') });
  t.same(await ddmin(ALL, k.test), ['OPT_C', 'OPT_N']);
});

t.test('ddmin: a culprit that depends on another change comes with it', async (t) => {
  // IKCONFIG_PROC depends on IKCONFIG: applied alone it is dropped, and that test is the good config.
  const k = kconfig({ deps: { OPT_P: ['OPT_B'] }, fails: (a) => a.has('OPT_P') });
  t.same(await ddmin(ALL, k.test), ['OPT_B', 'OPT_P']);
});

t.test('ddmin: a change that selects the culprit narrows to the culprit', async (t) => {
  const k = kconfig({ selects: { OPT_D: ['OPT_K'] }, fails: (a) => a.has('OPT_K') });
  t.same(await ddmin(ALL, k.test), ['OPT_K']);
});

t.test('ddmin: sets that do not build are skips, never the answer', async (t) => {
  // OPT_A does not build without OPT_P (in the other half): the first half is a skip, the second fails.
  const k = kconfig({ breaks: (a) => a.has('OPT_A') && !a.has('OPT_P'), fails: (a) => a.has('OPT_J') });
  t.same(await ddmin(ALL, k.test), ['OPT_J']);
});

t.test('ddmin: when only all of them fail, all of them are the answer', async (t) => {
  const three = ['OPT_A', 'OPT_B', 'OPT_C'];
  const k = kconfig({ fails: (a) => three.every((x) => a.has(x)) });
  t.same(await ddmin(three, k.test), three);
});
