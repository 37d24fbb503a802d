// The anthropic-beta names a request needs, whether or not the prompt lists them: a task budget
// needs its beta (§14), and fast mode needs one on the models the catalogue says (§13). Added at
// send time (and for counting and export), and said, so a prompt never fails for a missing header.
import { findModel, TASK_BUDGET_BETA } from './modelCatalogue';

export interface RequestBetas {
  /** The prompt's betas plus the ones added, without repeats. */
  betas: string[];
  /** What was added and why, e.g. 'added beta "task-budgets-2026-03-13" for output_config.task_budget'. */
  notes: string[];
}

export function requiredBetas(request: Readonly<Record<string, unknown>>, betas: readonly string[] = []): RequestBetas {
  const result: RequestBetas = { betas: [...new Set(betas)], notes: [] };
  const add = (beta: string, why: string): void => {
    if (result.betas.includes(beta)) return;
    result.betas.push(beta);
    result.notes.push(`added the beta "${beta}" for ${why}`);
  };
  const outputConfig = request['output_config'];
  if (typeof outputConfig === 'object' && outputConfig !== null && (outputConfig as Record<string, unknown>)['task_budget'] !== undefined) {
    add(TASK_BUDGET_BETA, 'output_config.task_budget');
  }
  if (request['speed'] === 'fast' && typeof request['model'] === 'string') {
    const beta = findModel(request['model'])?.fastMode?.beta;
    if (beta !== undefined) add(beta, `fast mode on ${request['model']}`);
  }
  return result;
}
