import * as vscode from 'vscode';
import type { PromptFile } from '../core/prompt/promptFile';
import { resolveRequest } from '../core/prompt/template';

const recentKey = (name: string): string => `promptWorkbench.recentValues.${name}`;
const maxRecent = 8;

/** Remembers the values users typed for variables, per variable name, to offer them next time. */
export class RecentVariableValues {
  constructor(private readonly state: vscode.Memento) {}

  get(name: string): string[] {
    return this.state.get<string[]>(recentKey(name), []);
  }

  async remember(name: string, value: string): Promise<void> {
    // Long values (documents) are not worth offering again and would bloat global state.
    if (value.length > 2_000) return;
    const next = [value, ...this.get(name).filter((v) => v !== value)].slice(0, maxRecent);
    await this.state.update(recentKey(name), next);
  }
}

/** Asks for one variable's value, offering recent values; undefined when the user cancels. */
async function askValue(name: string, description: string | undefined, recent: RecentVariableValues): Promise<string | undefined> {
  const previous = recent.get(name);
  if (previous.length === 0) {
    return vscode.window.showInputBox({ title: `Value for {{${name}}}`, prompt: description, ignoreFocusOut: true });
  }
  const picker = vscode.window.createQuickPick();
  picker.title = `Value for {{${name}}}`;
  picker.placeholder = description ?? 'Type a value, or pick a recent one';
  picker.ignoreFocusOut = true;
  picker.items = previous.map((value) => ({ label: value, description: 'recent' }));
  return new Promise((resolve) => {
    let done = false;
    picker.onDidAccept(() => {
      done = true;
      resolve(picker.selectedItems[0]?.label ?? picker.value);
      picker.hide();
    });
    picker.onDidHide(() => {
      if (!done) resolve(undefined);
      picker.dispose();
    });
    picker.show();
  });
}

export interface ResolvedPrompt {
  request: Record<string, unknown>;
  /** Values used, by variable name (defaults, values file and answers). */
  values: Record<string, string>;
}

/**
 * Fills in every placeholder: the prompt's own values (defaults, files, values file) first, then
 * (when `ask`) the user for the rest. Undefined when the user cancels; with `ask: false` the
 * missing ones stay as written.
 */
export async function resolveVariables(
  ownValues: Readonly<Record<string, string>>,
  prompt: PromptFile,
  recent: RecentVariableValues,
  ask: boolean,
): Promise<ResolvedPrompt | undefined> {
  const values = { ...ownValues };
  let resolved = resolveRequest(prompt, values);
  if (ask) {
    for (const name of resolved.missing) {
      const declaration = prompt.variables?.[name];
      const description = typeof declaration === 'object' ? declaration.description : undefined;
      const value = await askValue(name, description, recent);
      if (value === undefined) return undefined;
      values[name] = value;
      await recent.remember(name, value);
    }
    resolved = resolveRequest(prompt, values);
  }
  return { request: resolved.request, values };
}
