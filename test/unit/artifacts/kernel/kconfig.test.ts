// The post-merge check on real merge_config + olddefconfig output from Linux 6.12 (test/fixtures/kconfig/README.md).
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  droppedOptions, effectiveRequests, explainDropped, expressionSymbols, formatDropped, parseConfig, parseFragment, parseKconfig,
  type KconfigEntry,
} from '../../../../harness/artifacts/kernel/kconfig.js';

const dir = join(import.meta.dirname, '../../../fixtures/kconfig');
const order = ['qemu-virt', 'zfs-deps', 'thinlto', 'cfi', 'fineibt'];
const requests = (name: string) => effectiveRequests(order.map((f) => {
  const file = join(dir, name, 'fragments', `${f}.config`);
  return parseFragment(readFileSync(file, 'utf8'), `${f}.config`);
}));
const config = (name: string) => parseConfig(readFileSync(join(dir, name, 'config'), 'utf8'));
const defs = (): Map<string, KconfigEntry[]> => {
  const m = new Map<string, KconfigEntry[]>();
  for (const f of readdirSync(dir).filter((n) => n.startsWith('Kconfig.'))) {
    for (const e of parseKconfig(readFileSync(join(dir, f), 'utf8'), f)) m.set(e.symbol, [...(m.get(e.symbol) ?? []), e]);
  }
  return m;
};

t.test('with LLVM=-16 every requested option survives', async (t) => {
  const c = config('6.12-llvm16');
  t.equal(c.get('LTO_CLANG_THIN'), 'y');
  t.equal(c.get('CFI_PERMISSIVE'), 'n');
  t.same(droppedOptions(requests('6.12-llvm16'), c), []);
});

t.test('without LLVM in the environment merge_config drops ThinLTO and kCFI silently; the check names them', async (t) => {
  t.notMatch(readFileSync(join(dir, '6.12-no-llvm', 'merge_config.log'), 'utf8'), /CFI_CLANG/, 'merge_config itself says nothing');
  const dropped = droppedOptions(requests('6.12-no-llvm'), config('6.12-no-llvm'));
  t.same(dropped.map((d) => [d.symbol, d.value, d.got]), [
    ['LTO_CLANG_THIN', 'y', undefined],
    ['CFI_CLANG', 'y', undefined],
    ['FINEIBT', 'y', undefined],
  ]);
  t.equal(dropped[1]!.file, 'cfi.config');
  t.equal(dropped[1]!.line, 4);
});

t.test('CFI_PERMISSIVE requested off and absent (CFI_CLANG off hides it) is satisfied', async (t) => {
  const c = config('6.12-no-llvm');
  t.equal(c.get('CFI_PERMISSIVE'), undefined);
  t.same(droppedOptions([{ symbol: 'CFI_PERMISSIVE', value: 'n', file: 'f', line: 1 }], c), []);
});

t.test('explanations follow the dependency chain to the compiler', async (t) => {
  const c = config('6.12-no-llvm');
  const d = defs();
  const lto = explainDropped('LTO_CLANG_THIN', d, c).join('\n');
  t.match(lto, /LTO_CLANG_THIN: depends on HAS_LTO_CLANG && ARCH_SUPPORTS_LTO_CLANG_THIN  \[HAS_LTO_CLANG=n ARCH_SUPPORTS_LTO_CLANG_THIN=y\]/);
  t.match(lto, /\n {2}HAS_LTO_CLANG: depends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM  \[CC_IS_CLANG=n LD_IS_LLD=n AS_IS_LLVM=n\]/);
  const cfi = explainDropped('CFI_CLANG', d, c).join('\n');
  t.match(cfi, /CFI_CLANG: depends on \$\(cc-option,-fsanitize=kcfi\)  \(Kconfig\.arch-6\.12:827\)/);
  const fine = explainDropped('FINEIBT', d, c);
  t.match(fine[0], /FINEIBT has no prompt/);
  t.match(fine.join('\n'), /depends on X86_KERNEL_IBT && CFI_CLANG && MITIGATION_RETPOLINE  \[X86_KERNEL_IBT=y CFI_CLANG=n MITIGATION_RETPOLINE=y\]/);
  t.match(explainDropped('RETPOLINE', d, c)[0], /no `config RETPOLINE` in this source tree/);
});

t.test('the refusal lists each dropped option with where it was asked for', async (t) => {
  const c = config('6.12-no-llvm');
  const d = defs();
  const msg = formatDropped(droppedOptions(requests('6.12-no-llvm'), c), (s) => explainDropped(s, d, c));
  t.match(msg, /^3 requested kernel option\(s\) did not survive/);
  t.match(msg, /CONFIG_CFI_CLANG: requested y \(cfi\.config:4\), got absent/);
});

t.test('fragments: later values win; expressions skip macros', async (t) => {
  const r = effectiveRequests([
    parseFragment('CONFIG_A=y\n# CONFIG_B is not set\n', 'one'),
    parseFragment('CONFIG_A=m\nCONFIG_S="x y"\n', 'two'),
  ]);
  t.same(r.map((x) => [x.symbol, x.value, x.file]), [['B', 'n', 'one'], ['A', 'm', 'two'], ['S', '"x y"', 'two']]);
  t.same(expressionSymbols('$(success,$(NM) --help | head -n 1 | grep -qi llvm)'), []);
  t.same(expressionSymbols('(!KASAN || KASAN_HW_TAGS || CLANG_VERSION >= 170000) || !DEBUG_INFO'), ['KASAN', 'KASAN_HW_TAGS', 'CLANG_VERSION', 'DEBUG_INFO']);
});
