// Shared by the scenario tests: the file:line:col problems a scenario text is refused with ([] if accepted).
import { parseScenario, ScenarioError } from '../../../harness/scenario/load.js';

export async function problems(text: string, file: string): Promise<string[]> {
  try {
    await parseScenario(text, file);
    return [];
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return e.message.split('\n');
  }
}
