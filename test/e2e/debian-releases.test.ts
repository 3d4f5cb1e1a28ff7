// Debian's other releases through krepro's private apt, booted with the base
// image: bullseye's 5.10 (no pvpanic-pci driver: the recipe's pvpanic_pci? is
// left out) and the newest trixie 6.12 (merged-/usr package, .ko.xz modules
// unpacked into the image). Two short smoke boots, one VM at a time.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { krepro, results, ROOT, runDir } from './helpers.js';
import { debianKernels } from '../../harness/artifacts/kernel/debian-versions.js';

const smoke = await readFile(join(ROOT, 'scenarios', 'smoke', 'boot.yaml'), 'utf8');
// The newest trixie kernel today: trixie's ABIs end in +deb13 and come and go with point releases.
const trixie = (await debianKernels('amd64')).filter((k) => k.suite.startsWith('trixie')).at(-1);

for (const [release, abi] of [['bullseye', '5.10.0-32-amd64'], ['trixie', trixie?.abi]] as const) {
  t.test(`${release}: ${abi ?? '(no trixie kernel in the archive)'} boots the base image and answers over SSH`, async (t) => {
    if (!abi) return t.fail('no trixie kernel found in the private apt lists');
    const dir = t.testdir();
    const scenario = join(dir, `boot-${release}.yaml`);
    await writeFile(scenario, smoke.replace(/^name: .*$/m, `name: boot-${release}`).replace(/debian: 6\.1\.0-56-amd64/, `debian: ${abi}`)
      .replace(/^# yaml-language-server.*\n/, ''));
    const r = await krepro(['run', scenario, '--results', join(dir, 'results')]);
    t.equal(r.exitCode, 0, 'passed', { output: r.all?.slice(-3000) });
    const res = (await results(join(dir, 'results'))).get(`boot-${release}`);
    t.equal(res?.verdict, 'passed');
    const out = await readFile(join(await runDir(join(dir, 'results')), `boot-${release}`, res!.steps[0]!.output!), 'utf8');
    t.match(out, new RegExp(`^Linux krepro ${abi.replace(/[.+]/g, '\\$&')} `), 'uname -a names the kernel asked for');
    t.match(res?.artifacts.kernel?.identity, new RegExp(`^debian:${abi.replace(/[.+]/g, '\\$&')}@`));
  });
}
