// The host requirement list (harness/util/requirements.ts) against what krepro
// and its tests really run, so the two cannot drift apart again (issue 12:
// `.ci/run` had its own list, and qemu-img and libelf-dev were in neither).
// - every program harness/ and test/ start by name — execa('x'…), spawn,
//   execFileSync, runLogged, apt('x'…), the words of an `sh -c` pipeline — is
//   a requirement;
// - every call site that starts a program named by a variable is declared in
//   DYNAMIC below with the programs it can be, and those are requirements;
// - what the kernel's and ZFS's own build systems run (not visible in our
//   sources) is in BUILD_SYSTEMS, each in the group the build checks.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelBuildNeeds, moduleBuildNeeds, REQUIREMENTS, requireHost, MissingRequirements, unmet, type Need } from '../../../harness/util/requirements.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Call sites that start a program named by an expression: `file: expression` → the programs it can be. */
const DYNAMIC: Record<string, string[]> = {
  'harness/vm/spawn.ts: cmd': ['setpriv', 'qemu-system-x86_64'],
  'harness/vm/machine.ts: full.qemu': ['qemu-system-x86_64'],
  'harness/vm/probe.ts: qemu': ['qemu-system-x86_64'],
  'harness/vm/accel.ts: qemu': ['qemu-system-x86_64'],
  'harness/host/info.ts: qemu': ['qemu-system-x86_64'],
  'harness/artifacts/kernel/toolchain.ts: cmd': ['gcc', 'ld', 'clang-16', 'ld.lld-16', 'llvm-ar-16', 'llvm-nm-16', 'llvm-objcopy-16', 'ccache'],
  // An in-tree script (sh, sed, grep, make): covered by the kernel-build group.
  "harness/artifacts/kernel/build.ts: join(source.dir, 'scripts/kconfig/merge_config.sh')": ['make'],
  // The guest's busybox, unpacked from a package: not a host program.
  'harness/artifacts/image/image.ts: bb': [],
  // runLogged's own spawn: its callers are scanned.
  'harness/artifacts/store/build-log.ts: cmd': [],
  // apt(cmd …): its callers are scanned.
  'harness/artifacts/store/apt.ts: cmd': [],
  // The bzImage payload's decompressor.
  'harness/artifacts/kernel/pvh.ts: f.argv[0]!': ['gzip', 'xz', 'zstd'],
  // A compressed module's decompressor (trixie's .ko.xz).
  'harness/artifacts/image/image.ts: tool': ['xz', 'zstd', 'gzip'],
  'harness/artifacts/out-of-tree/kmod.ts: headers.compiler': ['gcc-12', 'clang-16'],
  'harness/artifacts/out-of-tree/zfs.ts: h.compiler': ['gcc-12', 'clang-16'],
  // The phases table: ./autogen.sh, ./configure (in the tree) and make.
  'harness/artifacts/out-of-tree/zfs.ts: cmd': ['make'],
  // Programs unpacked from packages into a temp dir.
  "test/unit/artifacts/host-tools.ts: join(dir, 'usr/bin', tool)": [],
};

/** Programs and files the build systems themselves need, and the group the build checks them in. */
const BUILD_SYSTEMS: Array<{ need: Need; what: string; where: string }> = [
  { need: 'kernel-build', what: 'make', where: 'kbuild' },
  { need: 'kernel-build', what: 'flex', where: 'scripts/kconfig/lexer.l' },
  { need: 'kernel-build', what: 'bison', where: 'scripts/kconfig/parser.y' },
  { need: 'kernel-build', what: 'bc', where: 'Kbuild: kernel/time/timeconst.bc' },
  { need: 'kernel-build', what: 'awk', where: 'arch/x86/tools/gen-insn-attr-x86.awk' },
  { need: 'kernel-build', what: 'perl', where: 'scripts/*.pl (headers_install, syscall tables)' },
  { need: 'kernel-build', what: 'pkg-config', where: 'HOSTPKG_CONFIG for libelf/libcrypto' },
  { need: 'kernel-build', what: 'openssl', where: 'certs/Makefile: openssl req (MODULE_SIG with base: debian)' },
  { need: 'kernel-build', what: '/usr/include/gelf.h', where: 'tools/objtool/include/objtool/elf.h' },
  { need: 'kernel-build', what: '/usr/include/openssl/ssl.h', where: 'scripts/sign-file.c, certs/extract-cert.c (libssl-dev)' },
  { need: 'kernel-build', what: '/usr/include/stdio.h', where: 'every host program' },
  { need: 'kernel-build', what: 'xz', where: 'linux-source-X.Y.tar.xz' },
  { need: 'kernel-build', what: 'depmod', where: 'modules_install' },
  { need: 'gcc', what: 'gcc', where: 'CC/HOSTCC without LLVM=' },
  { need: 'llvm-16', what: 'clang-16', where: 'CC/HOSTCC with LLVM=-16' },
  { need: 'llvm-16', what: 'ld.lld-16', where: 'LD with LLVM=-16' },
  // Found by the fresh-root run: `/bin/sh: 1: python3: not found` 20 minutes into the ThinLTO build.
  { need: 'llvm-16', what: 'python3', where: 'scripts/Makefile.vmlinux_o: $(PYTHON3) scripts/jobserver-exec (Clang LTO)' },
  { need: 'kernel-git', what: 'git', where: 'git archive' },
  { need: 'module-build', what: 'make', where: 'kbuild M=' },
  { need: 'module-build', what: '/usr/include/stdio.h', where: 'configure test programs' },
  { need: 'debian-modules', what: 'gcc-12', where: 'linux-headers-6.1 .config: CONFIG_CC_VERSION_TEXT gcc-12' },
  { need: 'debian-modules', what: '/usr/lib/x86_64-linux-gnu/libelf.so.1', where: 'linux-kbuild-6.1: objtool' },
  { need: 'debian-modules', what: '/usr/lib/x86_64-linux-gnu/libssl.so.3', where: 'linux-kbuild-6.1: sign-file' },
  { need: 'zfs-build', what: 'awk', where: 'ZFS configure' },
  { need: 'zfs-git', what: 'autoreconf', where: 'autogen.sh' },
  { need: 'zfs-git', what: 'automake', where: 'autogen.sh' },
  { need: 'zfs-git', what: 'libtoolize', where: 'autogen.sh' },
  { need: 'zfs-git', what: 'git', where: 'scripts/make_gitrev.sh' },
];

// `node` is the interpreter running krepro, never a requirement to install.
const NOT_HOST = new Set(['node']);

function sources(dir: string): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.includes('fixtures'))
    .map((f) => join(dir, f));
}

/** Programs a source file starts: literal names, `sh -c` pipeline words, and its dynamic call sites. */
function started(file: string): { names: string[]; dynamic: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const names: string[] = [];
  const dynamic: string[] = [];
  const call = /\b(?:execa|execaSync|execFileSync|execFile|execSync|spawnSync|spawn|spawnQemu|runLogged|apt)\(\s*/g;
  for (const m of text.matchAll(call)) {
    const rest = text.slice(m.index! + m[0].length);
    const lit = /^(['"])([^'"]+)\1/.exec(rest);
    if (lit) {
      const name = lit[2]!;
      if (name === 'sh') names.push('sh', ...shellWords(rest));
      else names.push(name);
    } else if (!/^(?:process\.execPath|\)|[a-z]+: |cmd: string|qemu: string|file: string)/.test(rest)) {
      // The first argument up to its comma, at bracket depth 0.
      let depth = 0;
      let i = 0;
      for (; i < rest.length; i++) {
        const c = rest[i]!;
        if ('([{'.includes(c)) depth++;
        else if (')]}'.includes(c)) depth--;
        else if (c === ',' && depth === 0) break;
      }
      dynamic.push(`${file}: ${rest.slice(0, i).trim()}`);
    }
  }
  return { names, dynamic };
}

/** The commands of the `sh -c '…'` script right after 'sh': the first word of each pipeline stage. */
function shellWords(rest: string): string[] {
  const script = /^'sh',\s*\[\s*'-c',\s*(['`])(.*?)\1/.exec(rest)?.[2];
  if (!script) return [];
  return script.split(/\||;|&&|\$\(/).map((s) => s.trim().split(/\s+/)[0]!).filter((w) => /^[a-z][\w.+-]*$/.test(w));
}

// children.ts wraps execa/spawn for everyone; this file names programs in its comments and tables.
const scanned = [...sources('harness'), ...sources('test')].filter((f) => !f.endsWith(join('util', 'children.ts')) && !f.endsWith('requirements.test.ts'));
const found = scanned.map(started);
const bins = new Set(REQUIREMENTS.map((r) => r.bin).filter(Boolean));

t.test('every program harness/ and test/ start by name is a requirement', async (t) => {
  const names = new Set(found.flatMap((f) => f.names));
  t.ok(names.has('dpkg-deb') && names.has('tar') && names.has('qemu-img'), 'the scan sees literal names and pipeline words');
  const uncovered = [...names].filter((n) => !NOT_HOST.has(n) && !bins.has(n)).sort();
  t.same(uncovered, [], 'add each to REQUIREMENTS (harness/util/requirements.ts)');
});

t.test('every call site that starts a program by expression is declared, and its programs are requirements', async (t) => {
  const sites = found.flatMap((f) => f.dynamic);
  t.same(sites.filter((s) => !(s in DYNAMIC)).sort(), [], 'declare new dynamic call sites in DYNAMIC with the programs they can be');
  t.same(Object.keys(DYNAMIC).filter((k) => !sites.includes(k)).sort(), [], 'DYNAMIC has no stale entries');
  const uncovered = Object.values(DYNAMIC).flat().filter((n) => !bins.has(n));
  t.same(uncovered, [], 'programs behind dynamic call sites are requirements');
});

/** Programs a library starts for a test, given by path (playwright-core launches Chromium): file → programs. */
const LAUNCHED: Record<string, string[]> = {
  'test/e2e/matrix-report-browser.test.ts': ['chromium'],
};

t.test('programs a library launches by path (executablePath) are declared and are requirements', async (t) => {
  const launching = scanned.filter((f) => /executablePath\s*:/.test(readFileSync(join(ROOT, f), 'utf8')));
  t.same(launching.sort(), Object.keys(LAUNCHED).sort(), 'declare files that hand a library an executablePath in LAUNCHED');
  const uncovered = Object.values(LAUNCHED).flat().filter((n) => !bins.has(n));
  t.same(uncovered, [], 'programs launched through a library are requirements');
});

t.test('what the build systems run is in the group their build checks', async (t) => {
  for (const b of BUILD_SYSTEMS) {
    const r = REQUIREMENTS.find((x) => x.need === b.need && (x.bin === b.what || x.file === b.what));
    t.ok(r, `${b.what} (${b.where}) is a ${b.need} requirement`);
  }
});

t.test('the groups each build checks', async (t) => {
  t.same(kernelBuildNeeds({ llvm: 16, git: true }), ['kernel-build', 'llvm-16', 'kernel-git']);
  t.same(kernelBuildNeeds({}), ['kernel-build', 'gcc']);
  t.same(moduleBuildNeeds('debian:6.1.0-56-amd64@6.1.158-1', { zfs: true }), ['module-build', 'debian-modules', 'zfs-build']);
  t.same(moduleBuildNeeds('build:linux-source-6.12 …', { zfs: true, git: true }), ['module-build', 'zfs-build', 'zfs-git']);
  const groups = new Set(REQUIREMENTS.map((r) => r.need));
  for (const g of ['run', 'kernel-build', 'gcc', 'llvm-16', 'kernel-git', 'module-build', 'debian-modules', 'zfs-build', 'zfs-git', 'test'] as Need[]) {
    t.ok(groups.has(g), `group ${g} has requirements`);
  }
});

t.test('a missing program or header fails the check with its package', async (t) => {
  const dir = t.testdir({ bin: {}, root: { usr: { include: {} } } });
  const missing = await unmet(['kernel-build', 'llvm-16'], { path: join(dir, 'bin'), root: join(dir, 'root') });
  t.ok(missing.some((m) => m.file === '/usr/include/gelf.h' && m.pkg === 'libelf-dev'), 'gelf.h, by file: libelf-dev');
  t.ok(missing.some((m) => m.bin === 'clang-16' && m.pkg === 'clang-16'));
  const e = await requireHost('a kernel build', ['kernel-build'], { path: join(dir, 'bin'), root: join(dir, 'root') }).catch((x: unknown) => x);
  t.ok(e instanceof MissingRequirements);
  t.match((e as Error).message, /^missing host requirements for a kernel build: .*gelf\.h.*apt-get install .*\blibelf-dev\b.*krepro doctor --install/);
  t.equal((e as MissingRequirements).reason, 'build-failed');
  // All present: nothing missing.
  t.same(await unmet(['kernel-git'], { path: '/usr/bin:/bin' }), []);
});

t.test('.ci/run installs through doctor, not a list of its own', async (t) => {
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  t.match(ci, /cli\.js doctor --install/);
  t.notMatch(ci, /apt-get[^\n]* install /, 'no apt-get install in .ci/run');
});

t.test('every harness file with a scan hit is scanned (the scan is not vacuous)', async (t) => {
  const hits = found.filter((f) => f.names.length || f.dynamic.length).length;
  t.ok(hits >= 15, `${hits} files start programs`);
  t.ok(relative(ROOT, join(ROOT, 'harness')) === 'harness');
});
