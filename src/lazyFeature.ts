import * as vscode from 'vscode';

// A feature whose code lives in a sibling bundle (declared in bundles.mjs): features.ts registers
// its commands at once, and the bundle is required and the feature built on the first command.
// Across bundles, module-level state is not shared and `instanceof` on a class both bundles hold
// fails, so the feature gets the shared services as instances from features.ts.

export interface LazyFeature<T extends vscode.Disposable> extends vscode.Disposable {
  /** The sibling's name in bundles.mjs, for the tests' report of what has loaded. */
  readonly name: string;
  /** The feature, required and built now if it was not yet. */
  get(): T;
  /** The feature if it was built, without building it. */
  readonly loaded: T | undefined;
}

/**
 * `create` holds the `require` of the sibling's entry (`require('./run/runFeature')`), so nothing
 * of it loads before the first `get()`. Disposing disposes the feature if it was built.
 */
export function lazyFeature<T extends vscode.Disposable>(name: string, create: () => T): LazyFeature<T> {
  let feature: T | undefined;
  let disposed = false;
  return {
    name,
    get: () => {
      if (disposed) throw new Error(`The ${name} feature was used after the extension was deactivated.`);
      feature ??= create();
      return feature;
    },
    get loaded() {
      return feature;
    },
    dispose: () => {
      disposed = true;
      feature?.dispose();
    },
  };
}

/**
 * Registers commands now, from the features bundle (so the manifest's commands are all there at
 * once); each builds the feature on its first use and runs the feature's own handler.
 */
export function registerLazyCommands<T extends vscode.Disposable>(
  feature: LazyFeature<T>,
  commands: Record<string, (feature: T, ...args: unknown[]) => unknown>,
): vscode.Disposable {
  return vscode.Disposable.from(...Object.entries(commands).map(([id, handler]) => vscode.commands.registerCommand(id, (...args: unknown[]) => handler(feature.get(), ...args))));
}
