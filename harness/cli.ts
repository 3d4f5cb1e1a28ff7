#!/usr/bin/env node
// Argument parsing and exit codes only: every command's work lives in its folder.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { triageCommand } from './console/triage-command.js';
import { kernelBuildCommand } from './artifacts/kernel/command.js';
import { installPackages, missingReport, missingTools, missingToolsMessage } from './host/doctor.js';
import { packagesOf } from './util/requirements.js';
import { runSuite } from './run/suite.js';
import { QEMU } from './run/attempt.js';
import { loadScenario, scenarioJsonSchema, ScenarioError } from './scenario/load.js';
import type { Scenario } from './scenario/types.js';
import { interruptExitCode, watchInterrupts } from './util/interrupt.js';
import { resolveAccel } from './vm/accel.js';
import { matrixCommand, mergeCommand } from './matrix/command.js';
import { matrixJsonSchema } from './matrix/spec.js';
import { errorMessage, InputError } from './util/errors.js';
import { readLockFor } from './artifacts/store/lock.js';
import { lockScenario } from './run/lock.js';
import { prepareScenario } from './run/prepare.js';
import { bisectCommand } from './bisect/command.js';
import { bisectExitCode } from './bisect/oracle.js';
import { bundleAttempt } from './bundle/pack.js';
import { replayCommand } from './bundle/replay.js';

const USAGE = `usage:
  krepro run SCENARIO.yaml… [--results DIR] [--bisect-exit]
                                              run scenarios; exit 0 passed, 1 failed, 3 error, 2 bad input
                                              (--bisect-exit: 0 passed, 1 failed, 125 error, 128 bad input — for git bisect run)
  krepro bisect SCENARIO.yaml --good G --bad B [--fix] [--tags] [--runs N] [--builder kmod|zfs|kernel] [--repo DIR] [--path P]… [--results DIR]
  krepro bisect SCENARIO.yaml --good G --bad B --versions auto|A,B,C [--runs N]
  krepro bisect SCENARIO.yaml --good-config F[,F] --bad-config F[,F] [--runs N]
  krepro bisect --resume DIR                  first bad commit of the kernel/module/ZFS source, first bad Debian kernel
                                              ABI (--versions), or the fewest options that make the bad config fail
                                              (fragments merged onto the scenario's kernel build); exit 0 found, 1 none
  krepro lock SCENARIO.yaml…                  resolve every Debian package a scenario uses; write NAME.lock.json beside it (runs obey it)
  krepro prepare SCENARIO.yaml…               fetch and build what the scenarios' attempts need (kernel, image, modules), boot nothing; exit 3 if a build fails
  krepro triage FILE|DIR… [--json]            find kernel crashes in console logs; exit 0 none, 1 some, 2 unreadable
  krepro matrix MATRIX.yaml [--jobs N] [--shard i/n] [--baseline PREVIOUS] [--history DIR] [--bisect-new] [--results DIR] [--summary-md FILE]
                                              run scenario × kernel × zfs × cmdline cells; exit 1 only for new failures, 3 errors
  krepro merge-reports DIR… --out DIR [--summary-md FILE]
                                              join shard reports into one (as one unsharded run would write it)
                                              (--summary-md: new/fixed/flaky as markdown under 1 MiB, e.g. $GITHUB_STEP_SUMMARY)
  krepro bundle RESULT_DIR [--out FILE]       pack one attempt (its scenario, lock, inputs with hashes, kernel .config, console,
                                              result.json, qmp.jsonl, step outputs) into a tarball with a README (default RESULT_DIR.bundle.tar.gz)
  krepro replay BUNDLE [--results DIR]        re-run a bundle with exactly its inputs (refused, exit 3, when a hash differs);
                                              prints the original outcome beside the replayed one; exit as krepro run
  krepro schema [--out FILE] [--matrix]       print the scenario (or matrix file) JSON Schema
  krepro doctor [--install]                   check host requirements (all groups) and KVM; --install installs what is missing (root)
  krepro kernel build SCENARIO.yaml | --source linux-source-6.12|GIT --ref REF|DIR
         [--base tinyconfig|defconfig|debian] [--fragment NAME|PATH]… [--llvm 16] [--json] [--check]
                                              build (or find cached) a kernel; prints bzImage, modules, build tree
                                              (--check: configure + verify the fragments only, print the .config)
`;

async function run(argv: string[]): Promise<number> {
  // git bisect run counts 1–127 but 125 as bad: anything that is no verdict (bad input, a harness crash) must abort it (≥ 128).
  if (!argv.includes('--bisect-exit')) return runScenarios(argv);
  try {
    const code = await runScenarios(argv);
    return code === 2 ? 128 : code;
  } catch (e) {
    process.stderr.write(`krepro: ${errorMessage(e)}\n`);
    return 128;
  }
}

async function runScenarios(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { results: { type: 'string', default: 'results' }, 'bisect-exit': { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) throw new UsageError('run: name at least one scenario file');
  const scenarios = await loadAll(positionals);
  if (!scenarios) return 2;
  const missing = await missingTools();
  if (missing.length) {
    process.stderr.write(`krepro: ${missingToolsMessage(missing)}\n`);
    return values['bisect-exit'] ? 128 : 3;
  }
  const suite = await runSuite(scenarios, { resultsDir: values.results! });
  return values['bisect-exit'] ? bisectExitCode(suite.summaries.map((s) => s.verdict)) : suite.exitCode;
}

/** Every scenario and its lock, validated before anything is fetched or booted; undefined when any is bad (printed). */
async function loadAll(files: string[]): Promise<Scenario[] | undefined> {
  const scenarios: Scenario[] = [];
  const problems: string[] = [];
  for (const f of files) {
    try {
      const sc = await loadScenario(f);
      await readLockFor(sc.file);
      scenarios.push(sc);
    } catch (e) {
      if (!(e instanceof ScenarioError) && !(e instanceof InputError)) throw e;
      problems.push(e.message);
    }
  }
  if (!problems.length) return scenarios;
  process.stderr.write(`${problems.join('\n')}\n`);
  return undefined;
}

async function lock(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length === 0) throw new UsageError('lock: name at least one scenario file');
  const scenarios = await loadAll(positionals);
  if (!scenarios) return 2;
  for (const sc of scenarios) {
    const r = await lockScenario(sc);
    process.stdout.write(`${r.changed ? 'wrote' : 'unchanged'} ${r.path} (${r.packages.size} packages)\n`);
  }
  return 0;
}

async function prepare(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length === 0) throw new UsageError('prepare: name at least one scenario file');
  const scenarios = await loadAll(positionals);
  if (!scenarios) return 2;
  let failed = 0;
  for (const sc of scenarios) {
    try {
      const p = await prepareScenario(sc);
      process.stdout.write(`ready ${sc.name}: ${p.kernel} (${p.entry}), image ${p.image} (${(p.ms / 1000).toFixed(1)}s)\n`);
    } catch (e) {
      failed++;
      process.stderr.write(`krepro: prepare ${sc.name}: ${errorMessage(e)}\n`);
    }
  }
  return failed ? 3 : 0;
}

async function doctor(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { install: { type: 'boolean', default: false } } });
  // Every group (runs, builds, tests): --install leaves nothing for a build to refuse later.
  let missing = await missingTools({ all: true });
  process.stdout.write(missingReport(missing));
  if (missing.length && values.install) {
    await installPackages(packagesOf(missing), (s) => process.stdout.write(`${s}\n`));
    missing = await missingTools({ all: true });
    process.stdout.write(missingReport(missing));
  }
  if (missing.length) process.stdout.write(`${missingToolsMessage(missing)}\n`);
  else process.stdout.write('host requirements: all present\n');
  // The accelerator probe needs only QEMU itself.
  if (!missing.some((m) => m.bin === 'qemu-system-x86_64')) {
    const accel = await resolveAccel('auto', QEMU);
    process.stdout.write(`accelerator: ${accel.accel} (${accel.reason})\n`);
  }
  return missing.length ? 1 : 0;
}

async function schema(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, matrix: { type: 'boolean', default: false } } });
  const text = `${JSON.stringify(values.matrix ? matrixJsonSchema() : scenarioJsonSchema(), null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
  return 0;
}

async function triage(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length === 0) throw new UsageError('triage: name at least one file or directory');
  return triageCommand(positionals, { json: values.json! }, process.stdout);
}

async function kernel(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'build') throw new UsageError('kernel: the subcommand is `build`');
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, options: {
      source: { type: 'string' }, ref: { type: 'string' }, base: { type: 'string' },
      fragment: { type: 'string', multiple: true, default: [] }, llvm: { type: 'string' }, json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1 || (positionals.length === 1) === (values.source !== undefined)) {
    throw new UsageError('kernel build: give either one scenario file or --source');
  }
  return kernelBuildCommand({ scenario: positionals[0], source: values.source, ref: values.ref, base: values.base, fragments: values.fragment!, llvm: values.llvm, json: values.json!, check: values.check! }, process.stdout);
}

async function bisect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: {
      good: { type: 'string' }, bad: { type: 'string' }, runs: { type: 'string' }, builder: { type: 'string' },
      repo: { type: 'string' }, path: { type: 'string', multiple: true, default: [] }, results: { type: 'string', default: 'results' },
      resume: { type: 'string' }, versions: { type: 'string' },
      'good-config': { type: 'string', multiple: true, default: [] }, 'bad-config': { type: 'string', multiple: true, default: [] }, fix: { type: 'boolean' }, tags: { type: 'boolean' },
    },
  });
  try {
    if (values.resume !== undefined) {
      if (positionals.length) throw new UsageError('bisect --resume DIR takes no scenario');
      return await bisectCommand({ resume: values.resume }, process.stdout);
    }
    const runs = values.runs === undefined ? undefined : Number(values.runs);
    const [goodConfig, badConfig] = [values['good-config']!, values['bad-config']!];
    if (goodConfig.length || badConfig.length) {
      if (positionals.length !== 1 || !goodConfig.length || !badConfig.length || values.good || values.bad) throw new UsageError('bisect: a config search takes one scenario, --good-config and --bad-config (no --good/--bad)');
      return await bisectCommand({ scenario: positionals[0]!, good: '', bad: '', runs, paths: [], resultsDir: values.results!, config: { good: goodConfig, bad: badConfig } }, process.stdout);
    }
    if (positionals.length !== 1 || !values.good || !values.bad) throw new UsageError('bisect: give one scenario, --good and --bad');
    if (values.fix && values.versions !== undefined) throw new UsageError('bisect: --fix is for commits; a version search finds the fix when the good end comes after the bad one');
    if (values.tags && values.versions !== undefined) throw new UsageError('bisect: --tags is for commits (tagged releases first, then the commits between)');
    return await bisectCommand({
      scenario: positionals[0]!, good: values.good, bad: values.bad, runs, builder: values.builder, repo: values.repo,
      paths: values.path!, resultsDir: values.results!, ...(values.fix ? { fix: true } : {}), ...(values.tags ? { tags: true } : {}),
      ...(values.versions === undefined ? {} : { versions: values.versions === 'auto' ? 'auto' as const : values.versions.split(',').map((v) => v.trim()).filter(Boolean) }),
    }, process.stdout);
  } catch (e) {
    if (!(e instanceof InputError || e instanceof ScenarioError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
}

async function matrix(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: {
      jobs: { type: 'string' }, shard: { type: 'string' }, baseline: { type: 'string' }, history: { type: 'string' }, 'bisect-new': { type: 'boolean' }, results: { type: 'string', default: 'results' },
      'summary-md': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('matrix: name one matrix file');
  const missing = await missingTools();
  if (missing.length) {
    process.stderr.write(`krepro: ${missingToolsMessage(missing)}\n`);
    return 3;
  }
  try {
    return await matrixCommand({ file: positionals[0]!, resultsDir: values.results!, shard: values.shard, jobs: values.jobs, baseline: values.baseline, history: values.history, bisectNew: values['bisect-new'], summaryMd: values['summary-md'] }, process.stdout);
  } catch (e) {
    if (!(e instanceof InputError || e instanceof ScenarioError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
}

async function mergeReportsCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, 'summary-md': { type: 'string' } } });
  if (positionals.length === 0 || !values.out) throw new UsageError('merge-reports: name the shard report directories and --out DIR');
  try {
    return await mergeCommand(positionals, values.out, process.stdout, { summaryMd: values['summary-md'] });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
}

async function bundle(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('bundle: name one attempt directory (the one holding result.json)');
  try {
    const b = await bundleAttempt(positionals[0]!, { out: values.out });
    process.stdout.write(`wrote ${b.path} (${b.manifest.scenario.name}: ${b.manifest.outcome.verdict}${b.manifest.outcome.reason ? `/${b.manifest.outcome.reason}` : ''}, ${Object.keys(b.manifest.packages).length} packages)\n`);
    for (const n of b.manifest.notes) process.stdout.write(`note: ${n}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`krepro: ${e.message}\n`);
    return 2;
  }
}

async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { results: { type: 'string', default: 'results' } } });
  if (positionals.length !== 1) throw new UsageError('replay: name one bundle (.tar.gz from krepro bundle)');
  const missing = await missingTools();
  if (missing.length) {
    process.stderr.write(`krepro: ${missingToolsMessage(missing)}\n`);
    return 3;
  }
  return replayCommand(positionals[0]!, { resultsDir: values.results! }, process.stdout, process.stderr);
}

class UsageError extends Error {}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { run, lock, prepare, triage, schema, doctor, kernel, bisect, matrix, 'merge-reports': mergeReportsCmd, bundle, replay };

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  const impl = cmd ? COMMANDS[cmd] : undefined;
  if (!impl) {
    process.stderr.write(cmd && !['-h', '--help', 'help'].includes(cmd) ? `krepro: unknown command '${cmd}'\n${USAGE}` : USAGE);
    return cmd && !['-h', '--help', 'help'].includes(cmd) ? 2 : 0;
  }
  try {
    return await impl(rest);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`krepro: ${errorMessage(e)}\n${usage ? USAGE : ''}`);
    return usage ? 2 : 3;
  }
}

watchInterrupts();
const code = await main();
process.exitCode = interruptExitCode() ?? code;
