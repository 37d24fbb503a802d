// Binding a dataset's columns to a prompt's {{variables}}: by name, or through an explicit map
// (variable -> column). A variable without a column falls back to the prompt's own value (default,
// file or values file); one with neither is an error of the whole plan, found before anything is
// sent. A row that lacks a value for a bound column is skipped with the reason.
import type { PromptFile } from '../prompt/promptFile';
import { compileRequest, findPlaceholders, type CompiledRequest } from '../prompt/template';
import type { DatasetRow } from './datasetSource';

/** What a prompt (or the command) says about binding: `.prompt.json` `dataset.map` and `dataset.keyColumn`. */
export interface BindingSpec {
  /** variable name -> column name. Variables not named here bind to the column of the same name. */
  map?: Readonly<Record<string, string>>;
  /** A column whose value identifies each row in the results (default: the row's index). */
  keyColumn?: string;
}

export interface ColumnBinding {
  /** variable -> column, for every variable that takes its value from the dataset. */
  columns: ReadonlyMap<string, string>;
  /** Variables that keep the prompt's own value because the dataset has no column for them. */
  fromPrompt: readonly string[];
  keyColumn?: string;
}

export interface BindingResult {
  binding: ColumnBinding;
  /** Each makes the plan unrunnable: a variable with no column and no value, a map naming a column the dataset lacks. */
  errors: string[];
  /** Worth saying but not blocking: a map entry for a variable the prompt does not use. */
  warnings: string[];
}

/** The distinct {{variables}} of a prompt's request, in order of first use. */
export function promptVariables(prompt: Pick<PromptFile, 'request'>): string[] {
  return [...new Set(findPlaceholders(prompt.request).map((use) => use.name))];
}

/**
 * Binds the prompt's variables to the dataset's columns. `promptValues` are the values the prompt
 * supplies itself (collectDefaults); `columns` are the dataset's declared or observed columns.
 */
export function bindColumns(variables: readonly string[], columns: readonly string[], spec: BindingSpec, promptValues: Readonly<Record<string, string>>): BindingResult {
  const available = new Set(columns);
  const errors: string[] = [];
  const warnings: string[] = [];
  const bound = new Map<string, string>();
  const fromPrompt: string[] = [];
  const listed = columns.length > 0 ? `the dataset's columns are ${columns.map((c) => `"${c}"`).join(', ')}` : 'the dataset has no columns';
  const map = spec.map ?? {};
  for (const name of Object.keys(map)) {
    if (!variables.includes(name)) warnings.push(`The map binds {{${name}}}, which the prompt does not use.`);
  }
  for (const variable of variables) {
    const mapped = Object.hasOwn(map, variable) ? map[variable] : undefined;
    if (mapped !== undefined) {
      if (available.has(mapped)) bound.set(variable, mapped);
      else errors.push(`The map binds {{${variable}}} to the column "${mapped}", which the dataset does not have (${listed}).`);
    } else if (available.has(variable)) {
      bound.set(variable, variable);
    } else if (Object.hasOwn(promptValues, variable)) {
      fromPrompt.push(variable);
    } else {
      errors.push(`No column for {{${variable}}}: add a column named "${variable}" or map it to one (${listed}).`);
    }
  }
  if (spec.keyColumn !== undefined && !available.has(spec.keyColumn)) {
    errors.push(`The key column "${spec.keyColumn}" is not in the dataset (${listed}).`);
  }
  return { binding: { columns: bound, fromPrompt, keyColumn: spec.keyColumn }, errors, warnings };
}

export type BoundRow =
  | { kind: 'runnable'; key: string; request: Record<string, unknown> }
  | { kind: 'skipped'; key: string; reason: string };

/** The key of a row in results: its key column's value, or its index. */
export function rowKey(row: DatasetRow, binding: ColumnBinding): string {
  const keyValue = binding.keyColumn !== undefined ? row.values[binding.keyColumn] : undefined;
  return keyValue ?? String(row.index);
}

/** Each prompt request's compiled template, built on its first row (see compileRequest). */
const compiledRequests = new WeakMap<object, CompiledRequest>();

/** Why a row cannot be sent (a bound column without a value), or undefined when it can. */
export function missingValues(row: DatasetRow, binding: ColumnBinding): string | undefined {
  let missing: string[] | undefined;
  for (const [variable, column] of binding.columns) {
    if (row.values[column] === undefined) (missing ??= []).push(variable === column ? `"${column}"` : `"${column}" (for {{${variable}}})`);
  }
  return missing ? `no value in ${missing.join(', ')}` : undefined;
}

/** A row's value of each variable: its bound column's, else the prompt's own. */
export function rowLookup(row: DatasetRow, binding: ColumnBinding, promptValues: Readonly<Record<string, string>>): (name: string) => string | undefined {
  return (name) => {
    const column = binding.columns.get(name);
    if (column !== undefined) return row.values[column];
    return Object.hasOwn(promptValues, name) ? promptValues[name] : undefined;
  };
}

/**
 * The request for one row, or why the row is skipped (a bound column without a value). The
 * request shares the parts without a placeholder with every other row's (frozen): treat it as
 * read-only, and copy it before changing it.
 */
export function bindRow(prompt: Pick<PromptFile, 'request'>, row: DatasetRow, binding: ColumnBinding, promptValues: Readonly<Record<string, string>>): BoundRow {
  const key = rowKey(row, binding);
  const reason = missingValues(row, binding);
  if (reason !== undefined) return { kind: 'skipped', key, reason };
  let compiled = compiledRequests.get(prompt.request);
  if (!compiled) compiledRequests.set(prompt.request, (compiled = compileRequest(prompt.request)));
  return { kind: 'runnable', key, request: compiled(rowLookup(row, binding, promptValues)) };
}
