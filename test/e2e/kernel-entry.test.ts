// How QEMU enters the kernel (machine.entry): through the PVH note of the vmlinux
// krepro unpacks from the bzImage (auto, when the kernel has CONFIG_PVH), or
// through the bzImage itself. The guest's own record says which ran: boot_params'
// boot protocol version (offset 0x206) is 2.12 when the kernel's PVH entry code
// made up the header (arch/x86/platform/pvh/enlighten.c), the bzImage's own
// (2.15 for 6.1) when QEMU's bzImage loader copied it from the file.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from './helpers.js';

const scenario = (entry: string): string => `name: kernel-entry-${entry}
machine: { entry: ${entry} }
snapshot: false
timeout: 5m
steps:
  - run: od -An -tx1 -j 518 -N2 /sys/kernel/boot_params/data
`;

for (const [entry, loader, argv] of [['auto', /^0c 02$/, /\/vmlinux$/], ['bzimage', /^0[d-f] 02$/, /vmlinuz-/]] as const) {
  t.test(`machine.entry: ${entry}`, async (t) => {
    const dir = t.testdir();
    const file = join(dir, `${entry}.yaml`);
    await writeFile(file, scenario(entry));
    // runScenario's own testdir() would empty the dir holding the scenario: results go beside it.
    const { res, dir: out, output } = await runScenario({ testdir: () => join(dir, 'results') }, file, `kernel-entry-${entry}`);
    t.equal(res.verdict, 'passed', res.message, { output });
    t.equal(res.kernelEntry?.entry, entry === 'auto' ? 'pvh' : 'bzimage', "result.json's kernelEntry");
    const argvKernel = res.qemu!.argv[res.qemu!.argv.indexOf('-kernel') + 1]!;
    t.match(argvKernel, argv, 'QEMU was given that image');
    t.match((await readFile(join(out, res.steps[0]!.output!), 'utf8')).trim(), loader, "the guest's boot_params say who loaded it");
  });
}
