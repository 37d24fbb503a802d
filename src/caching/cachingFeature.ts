// The cache advisor in the editor: its warnings and its suggestion as diagnostics, the quick fix
// that inserts cache_control where the advisor says, and the saving of each breakpoint on hover.
// esbuild bundles this file apart (dist/caching.js); registerCaching.ts requires it the first time
// a prompt is checked, so the advisor adds nothing to the features bundle.
import * as vscode from 'vscode';
import { modify, type FormattingOptions } from 'jsonc-parser';
import { adviseCaching, describeBreakpoint, ownValuesSource, type CacheAdvice } from '../core/caching/cacheAdvisor';
import type { CacheLayout } from '../core/caching/cacheLayout';
import { formatUsd } from '../core/format';
import type { PromptFile } from '../core/prompt/promptFile';
import type { PriceEntry } from '../core/pricing/priceTable';

/** What the feature needs from the shared services (passed in: this bundle has its own module copies). */
export interface CachingDeps {
  parse(document: vscode.TextDocument): { cacheLayout?: CacheLayout | undefined };
  defaults(document: vscode.TextDocument, prompt: PromptFile): Record<string, string>;
  findPrice(model: string): PriceEntry | undefined;
}

/** Diagnostic codes the quick fix answers. */
export const CACHE_OPPORTUNITY = 'cache-opportunity';
const ourSource = 'Prompt Workbench';

export interface CachingFeature {
  /** The advice for a prompt as it is now, or undefined when it has no request to advise on. */
  advise(document: vscode.TextDocument): { advice: CacheAdvice; layout: CacheLayout } | undefined;
  diagnostics(document: vscode.TextDocument): vscode.Diagnostic[];
  codeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[];
  resolveCodeAction(action: vscode.CodeAction): vscode.CodeAction;
  hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined;
}

interface AddBreakpointAction extends vscode.CodeAction {
  document: vscode.TextDocument;
  version: number;
  path: (string | number)[];
  kindOfBlock: 'block' | 'string';
  offset: number;
  length: number;
}

export function createCachingFeature(deps: CachingDeps): CachingFeature {
  const advise = (document: vscode.TextDocument): { advice: CacheAdvice; layout: CacheLayout } | undefined => {
    const layout = deps.parse(document).cacheLayout;
    if (!layout) return undefined;
    let ownValues: Record<string, string> = {};
    try {
      // Chunked variables are left out: they vary anyway, and a chunked file may be far above the
      // size limit of a variable's file, which would make every other value unknown too.
      ownValues = deps.defaults(document, ownValuesSource(layout) as unknown as PromptFile);
    } catch {
      // An unreadable file is already a diagnostic of the checks; advise without its value.
    }
    const price = layout.model !== undefined ? deps.findPrice(layout.model) : undefined;
    return { layout, advice: adviseCaching({ layout, ownValues, ...(price ? { price } : {}) }) };
  };

  const rangeOf = (document: vscode.TextDocument, offset: number, length: number): vscode.Range =>
    new vscode.Range(document.positionAt(offset), document.positionAt(offset + length));

  return {
    advise,

    diagnostics(document) {
      const advised = advise(document);
      if (!advised) return [];
      const { advice } = advised;
      const found = advice.warnings.map((warning) => {
        const diagnostic = new vscode.Diagnostic(
          rangeOf(document, warning.offset, warning.length),
          warning.message,
          warning.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information,
        );
        diagnostic.source = ourSource;
        diagnostic.code = warning.code;
        return diagnostic;
      });
      const suggestion = advice.suggestion;
      if (suggestion) {
        // A hint (dots under the block's start, no entry in the Problems panel): an opportunity, not a problem.
        const start = document.positionAt(suggestion.segment.offset);
        const diagnostic = new vscode.Diagnostic(new vscode.Range(start, start.translate(0, 1)), suggestion.message, vscode.DiagnosticSeverity.Hint);
        diagnostic.source = ourSource;
        diagnostic.code = CACHE_OPPORTUNITY;
        found.push(diagnostic);
      }
      return found;
    },

    codeActions(document, range, context) {
      const advised = advise(document);
      const suggestion = advised?.advice.suggestion;
      if (!suggestion) return [];
      const segment = suggestion.segment;
      const block = rangeOf(document, segment.offset, segment.length);
      const ours = context.diagnostics.filter((d) => d.source === ourSource && (d.code === CACHE_OPPORTUNITY || d.code === 'cache-breakpoint-never-hits'));
      // Offered where the advice points (anywhere in the block) or on one of its diagnostics.
      if (ours.length === 0 && !block.contains(range)) return [];
      const saving = suggestion.saving ? ` (saves ~${formatUsd(suggestion.saving.perRepeatUsd)} per repeat run)` : '';
      const action = new vscode.CodeAction(`Add cache_control to ${segment.label}${saving}`, vscode.CodeActionKind.QuickFix) as AddBreakpointAction;
      action.isPreferred = true;
      action.diagnostics = ours;
      action.document = document;
      action.version = document.version;
      action.path = segment.path;
      action.kindOfBlock = segment.kind === 'string' ? 'string' : 'block';
      action.offset = segment.offset;
      action.length = segment.length;
      return [action];
    },

    resolveCodeAction(action) {
      const add = action as AddBreakpointAction;
      if (!add.document || add.document.version !== add.version) return action;
      // The edit is computed only when the fix is chosen: jsonc-parser reads the whole text.
      const text = add.document.getText();
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === add.document);
      const formatting: FormattingOptions = {
        insertSpaces: editor ? editor.options.insertSpaces !== false : true,
        tabSize: editor && typeof editor.options.tabSize === 'number' ? editor.options.tabSize : 2,
        eol: add.document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
      };
      const marker = { type: 'ephemeral' };
      const edits =
        add.kindOfBlock === 'block'
          ? modify(text, [...add.path, 'cache_control'], marker, { formattingOptions: formatting })
          : modify(text, add.path, [{ type: 'text', text: JSON.parse(text.slice(add.offset, add.offset + add.length)) as string, cache_control: marker }], { formattingOptions: formatting });
      const workspaceEdit = new vscode.WorkspaceEdit();
      for (const edit of edits) workspaceEdit.replace(add.document.uri, rangeOf(add.document, edit.offset, edit.length), edit.content);
      action.edit = workspaceEdit;
      return action;
    },

    hover(document, position) {
      const advised = advise(document);
      if (!advised) return undefined;
      const offset = document.offsetAt(position);
      const breakpoint = advised.advice.breakpoints.find((b) => {
        const marker = b.segment.breakpoint;
        return marker !== undefined && offset >= marker.offset && offset < marker.offset + marker.length;
      });
      if (!breakpoint) return undefined;
      const marker = breakpoint.segment.breakpoint as { offset: number; length: number };
      const text = new vscode.MarkdownString();
      text.appendText(describeBreakpoint(breakpoint, advised.layout.model));
      return new vscode.Hover(text, rangeOf(document, marker.offset, marker.length));
    },
  };
}
