// The JSON Schema editors use to complete and check scenarios
// (`# yaml-language-server: $schema=../../docs/scenario.schema.json`).
// Generated from spec.ts, the same description the loader validates with;
// checks that need the file system or other steps (disks, jobs) are loader-only.

import { scenarioSpec } from './spec.js';

/** JSON Schema (draft 2020-12) of the scenario format. */
export function scenarioJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'krepro scenario',
    description: 'A kernel/filesystem bug reproduction: kernel, guest image, machine, disks, steps, expectations.',
    ...scenarioSpec.schema,
  };
}
