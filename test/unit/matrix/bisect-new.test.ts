// --bisect-new's range: the one git source that moved between the baseline's cell and
// this run's, from result.json's identities; anything else is said, not guessed.
import t from 'tap';
import { bisectRange } from '../../../harness/matrix/bisect-new.js';

const kmod = (commit: string, dirty = '') => ({ identity: `kmod:/r/mod (sources 0123456789ab) git:/r/mod@HEAD(${commit})${dirty}`, hash: commit.padEnd(64, '0') });
const kernel = { identity: 'debian:6.1.0-56-amd64@6.1.192-2', hash: 'k'.repeat(64) };

t.test('a module tree that moved: its builder, repository and both commits', async (t) => {
  t.same(bisectRange({ kernel, 'build:kmod': kmod('bbbbbbbbbbbb') }, { kernel, 'build:kmod': kmod('aaaaaaaaaaaa') }),
    { artifact: 'build:kmod', repo: '/r/mod', good: 'aaaaaaaaaaaa', bad: 'bbbbbbbbbbbb', builder: 'kmod' });
  const zfs = (c: string) => ({ identity: `git:/src/zfs@master(${c})`, hash: c.padEnd(64, '0') });
  t.match(bisectRange({ 'build:zfs': zfs('222222222222') }, { 'build:zfs': zfs('111111111111') }), { builder: 'zfs', repo: '/src/zfs', good: '111111111111', bad: '222222222222' });
});

t.test('nothing to bisect: no source moved, two moved, a kernel git tree moved', async (t) => {
  t.match(bisectRange({ kernel, 'build:kmod': kmod('aaaaaaaaaaaa', '+dirty') }, { kernel, 'build:kmod': kmod('aaaaaaaaaaaa') }), { why: /no git source moved/ });
  t.match(bisectRange({ 'build:kmod': kmod('bbbbbbbbbbbb'), 'build:zfs': { identity: 'git:/z@m(222222222222)', hash: 'x' } },
    { 'build:kmod': kmod('aaaaaaaaaaaa'), 'build:zfs': { identity: 'git:/z@m(111111111111)', hash: 'y' } }), { why: /more than one git source moved \(build:kmod, build:zfs\)/ });
  t.match(bisectRange({ kernel: { identity: 'build:git:/linux@v6.12(cccccccccccc) tinyconfig', hash: 'a' } }, { kernel: { identity: 'build:git:/linux@v6.12(dddddddddddd) tinyconfig', hash: 'b' } }),
    { artifact: 'kernel', builder: 'kernel', repo: '/linux', good: 'dddddddddddd', bad: 'cccccccccccc' }, 'a kernel built from git is walked by krepro bisect --builder kernel');
  t.match(bisectRange({ 'build:firmware': { identity: 'git:/fw@main(cccccccccccc)', hash: 'a' } }, { 'build:firmware': { identity: 'git:/fw@main(dddddddddddd)', hash: 'b' } }),
    { why: /build:firmware moved .* walks only kernel, module and ZFS trees/ });
  t.match(bisectRange({ 'build:kmod': kmod('bbbbbbbbbbbb') }, {}), { why: /no git source moved/ }, 'a baseline without the row');
});
