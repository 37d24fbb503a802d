// The Prompt Workbench panel (browser side). Host messages go through the pure reducer in
// src/panel/panelModel.ts; this file only turns that state into DOM, batching writes into one
// animation frame, and turns the user's clicks and keys into PanelToHost messages.
//
// Safety: model output reaches the page as text nodes, or as HTML only from renderMarkdown
// (markdown-it with html: false and an http(s)/mailto link allowlist). Nothing here sets inline
// styles, so the CSP can forbid them.
import type {
  BlockAppend,
  BlockStart,
  HistoryEntryView,
  HostToPanel,
  PanelState,
  PanelToHost,
  RunErrorView,
  RunOutcomeView,
  RunView,
  ToolUseView,
  UsageView,
} from '../protocol';
import { renderMarkdown } from '../panel/markdown';
import {
  applyHostMessage,
  assertNever,
  blockTitle,
  closeCompare,
  compactPanelState,
  continueNeedsMessage,
  emptyPanelState,
  errorActionLabel,
  formatDuration,
  formatStartedAt,
  formatTokenCount,
  formatTokensPerSecond,
  isPanelState,
  PARTIAL_OUTPUT_KEPT,
  partialOutputNote,
  prettyJsonOrRaw,
  pruneCompareSelection,
  retrySecondsLeft,
  runAnnouncement,
  showsContinue,
  streamingSaveIntervalMs,
  toggleCompareSelection,
  toolRoundsLeft,
  type RunBlock,
} from '../panel/panelModel';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

/** A streamed text chunk this long starts a new element at its next line break (see StreamingText). */
const STREAM_CHUNK_CHARS = 8 * 1024;

// ---------------------------------------------------------------------------------------------
// DOM construction. Children given as strings become text nodes, never HTML.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

function button(label: string, onClick: () => void, attributes: Attributes = {}): HTMLButtonElement {
  const element = el('button', { type: 'button', ...attributes }, label);
  element.addEventListener('click', onClick);
  return element;
}

let nextId = 0;
function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A <dl> of label/value rows; rows without a value are left out. */
function definitionList(attributes: Attributes, rows: [string, Child][]): HTMLDListElement {
  const list = el('dl', attributes);
  for (const [term, value] of rows) {
    if (value === undefined || value === null || value === false) continue;
    append(list, el('div', { class: 'row' }, el('dt', {}, term), el('dd', {}, value)));
  }
  return list;
}

function post(message: PanelToHost): void {
  vscode.postMessage(message);
}

/** Re-renders `container` and puts keyboard focus back on the equivalent control if it was inside. */
function keepingFocus(container: HTMLElement, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset['focusKey'] : undefined;
  render();
  if (key === undefined) return;
  for (const candidate of container.querySelectorAll<HTMLElement>('[data-focus-key]')) {
    if (candidate.dataset['focusKey'] === key) {
      candidate.focus();
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming text: appends cost time proportional to the new text, not to the whole block.

/**
 * Plain text that grows by appends. Each append extends the last Text node with appendData; once
 * that chunk passes STREAM_CHUNK_CHARS, the next line break starts a new block-level chunk, so the
 * browser re-lays out only the last few kilobytes instead of the whole (possibly huge) block.
 */
class StreamingText {
  readonly element: HTMLElement;
  private chunk: Text | undefined;
  private chunkLength = 0;

  constructor(className: string) {
    this.element = el('div', { class: `streaming-text ${className}` });
  }

  append(text: string): void {
    if (text === '') return;
    if (this.chunk && this.chunkLength >= STREAM_CHUNK_CHARS) {
      const lineEnd = text.indexOf('\n');
      if (lineEnd >= 0) {
        this.appendToChunk(text.slice(0, lineEnd + 1));
        this.chunk = undefined;
        this.append(text.slice(lineEnd + 1));
        return;
      }
    }
    this.appendToChunk(text);
  }

  private appendToChunk(text: string): void {
    if (text === '') return;
    if (!this.chunk) {
      this.chunk = document.createTextNode('');
      this.chunkLength = 0;
      this.element.appendChild(el('span', { class: 'stream-chunk' }, this.chunk));
    }
    this.chunk.appendData(text);
    this.chunkLength += text.length;
  }
}

/** One content block in the output: streamed as plain text, then rendered once when the run ends. */
class BlockView {
  readonly root: HTMLElement;
  private readonly heading: HTMLElement | undefined;
  private body: HTMLElement;
  private streaming: StreamingText | undefined;

  constructor(private block: BlockStart, text: string, streaming: boolean) {
    let container: HTMLElement;
    switch (block.kind) {
      case 'text':
        this.root = el('div', { class: 'block block-text' });
        container = this.root;
        break;
      case 'thinking':
      case 'redacted_thinking':
        // Folded by default; <summary> is focusable and toggles with Enter or Space.
        this.heading = el('summary', {}, blockTitle(block));
        this.root = el('details', { class: `block block-thinking block-${block.kind}` }, this.heading);
        if (block.kind === 'redacted_thinking') {
          append(this.root, el('p', { class: 'description' }, 'Safety systems redacted this reasoning. It is sent back to the API encrypted, so the conversation can continue.'));
        }
        container = this.root;
        break;
      case 'tool_use':
      case 'server_tool':
      case 'other':
        this.heading = el('h4', { class: 'block-title' }, blockTitle(block));
        this.root = el('div', { class: `block block-json block-${block.kind}` }, this.heading);
        container = this.root;
        break;
      default:
        assertNever(block.kind);
    }
    this.body = el('div', { class: 'block-body' });
    container.appendChild(this.body);
    if (streaming) {
      this.streaming = new StreamingText(this.isJson() ? 'code' : 'prose');
      this.body.appendChild(this.streaming.element);
      this.streaming.append(text);
    } else {
      this.finish(text);
    }
  }

  update(block: BlockStart): void {
    this.block = block;
    if (this.heading) this.heading.textContent = blockTitle(block);
  }

  append(text: string): void {
    this.streaming?.append(text);
  }

  /** Replaces the streamed text with its final form: markdown for prose, pretty JSON for tool input. */
  finish(text: string): void {
    this.streaming = undefined;
    const body = el('div', { class: 'block-body' });
    if (this.isJson()) {
      // Input that never finished streaming is partial JSON: shown raw.
      append(body, el('pre', { class: 'code' }, prettyJsonOrRaw(text).text));
    } else if (this.block.kind === 'redacted_thinking') {
      if (text !== '') append(body, el('pre', { class: 'code opaque' }, text));
    } else {
      body.classList.add('markdown');
      body.innerHTML = renderMarkdown(text);
    }
    this.body.replaceWith(body);
    this.body = body;
  }

  private isJson(): boolean {
    return this.block.kind === 'tool_use' || this.block.kind === 'server_tool' || this.block.kind === 'other';
  }
}

/** Renders a finished run's blocks (history, comparison, reload) in their final form. */
function finishedBlocks(blocks: readonly RunBlock[], attributes: Attributes): HTMLElement {
  const output = el('div', { class: 'run-output', ...attributes });
  for (const block of blocks) output.appendChild(new BlockView(block, block.text, false).root);
  if (blocks.length === 0) append(output, el('p', { class: 'description' }, 'No output.'));
  return output;
}

function usageList(usage: UsageView, testId: string): HTMLDListElement {
  return definitionList({ class: 'facts usage', 'data-testid': testId, 'aria-label': 'Token usage' }, [
    ['Input tokens', formatTokenCount(usage.inputTokens)],
    ['Output tokens', formatTokenCount(usage.outputTokens)],
    ['Cache reads', formatTokenCount(usage.cacheReadTokens)],
    ['Cache writes', formatTokenCount(usage.cacheWriteTokens)],
    ['Thinking tokens', usage.thinkingTokens === undefined ? undefined : formatTokenCount(usage.thinkingTokens)],
  ]);
}

// ---------------------------------------------------------------------------------------------
// The run: header, status, streamed output, then the outcome.

class RunSection {
  private runId: string | undefined;
  private blockViews = new Map<number, BlockView>();
  private output: HTMLElement | undefined;
  private statusSlot: HTMLElement | undefined;
  private errorSlot: HTMLElement | undefined;
  private outcomeSlot: HTMLElement | undefined;
  private countdownTimer: ReturnType<typeof setInterval> | undefined;
  private stopRequested = false;

  constructor(private readonly container: HTMLElement) {}

  /** Rebuilds everything from the run (a new run, a run from history, or the state after a reload). */
  render(run: RunView | undefined): void {
    this.clearCountdown();
    this.blockViews.clear();
    this.stopRequested = false;
    this.runId = run?.header.runId;
    this.container.replaceChildren();
    if (!run) {
      this.output = this.statusSlot = this.errorSlot = this.outcomeSlot = undefined;
      append(this.container, el('p', { class: 'description' }, 'No run yet. Run a .prompt.json file and its response streams here.'));
      return;
    }
    const { header } = run;
    append(
      this.container,
      el('p', { class: 'run-title' }, el('strong', {}, header.promptName), ' · ', el('span', {}, header.model)),
      el('p', { class: 'description run-meta' }, `${header.promptPath} · started ${formatStartedAt(header.startedAt)}`),
    );
    this.statusSlot = el('div', { class: 'status-row' });
    this.errorSlot = el('div', { class: 'error-slot' });
    this.output = el('div', { class: 'run-output', 'data-testid': 'run-output', 'aria-label': 'Response', role: 'region' });
    this.outcomeSlot = el('div', { class: 'outcome-slot' });
    append(this.container, this.statusSlot, this.errorSlot, this.output, this.outcomeSlot);

    const streaming = run.status === 'running';
    for (const block of run.blocks) this.addBlock(block, block.text, streaming);
    this.renderStatus(run);
    if (!streaming) this.renderOutcome(run);
  }

  /** Applies one frame's worth of streamed starts and appends to the running run. */
  applyProgress(runId: string, starts: readonly BlockStart[], appends: ReadonlyMap<number, string[]>): void {
    if (runId !== this.runId || !this.output) return;
    for (const start of starts) {
      const view = this.blockViews.get(start.index);
      if (view) view.update(start);
      else this.addBlock(start, '', true);
    }
    for (const [index, pieces] of appends) {
      let view = this.blockViews.get(index);
      if (!view) view = this.addBlock({ index, kind: 'text' }, '', true);
      view.append(pieces.join(''));
    }
  }

  /** The run ended: render each block's final form once, then the status and the outcome. */
  finish(run: RunView): void {
    if (run.header.runId !== this.runId) return;
    const stopHadFocus = document.activeElement instanceof HTMLElement && document.activeElement.dataset['testid'] === 'stop-button';
    for (const block of run.blocks) {
      const view = this.blockViews.get(block.index) ?? this.addBlock(block, '', true);
      view.update(block);
      view.finish(block.text);
    }
    this.renderStatus(run);
    this.renderOutcome(run);
    if (stopHadFocus) this.statusSlot?.querySelector<HTMLElement>('[data-testid="run-status"]')?.focus();
  }

  isRunning(run: RunView | undefined): run is RunView {
    return run !== undefined && run.status === 'running' && run.header.runId === this.runId;
  }

  /** Asks the host to stop the run (Stop button or Escape); once per run. */
  requestStop(runId: string): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    const stop = this.statusSlot?.querySelector<HTMLButtonElement>('[data-testid="stop-button"]');
    if (stop) {
      // aria-disabled rather than disabled, so keyboard focus stays put until the run ends.
      stop.setAttribute('aria-disabled', 'true');
      stop.textContent = 'Stopping…';
    }
    post({ type: 'stop', runId });
  }

  private addBlock(block: BlockStart, text: string, streaming: boolean): BlockView {
    const view = new BlockView(block, text, streaming);
    this.blockViews.set(block.index, view);
    // Blocks normally arrive in index order; keep the DOM in that order regardless.
    const later = [...this.blockViews.entries()].filter(([index]) => index > block.index).sort(([a], [b]) => a - b)[0];
    this.output?.insertBefore(view.root, later ? later[1].root : null);
    return view;
  }

  private renderStatus(run: RunView): void {
    const slot = this.statusSlot;
    if (!slot) return;
    const running = run.status === 'running';
    const note = partialOutputNote(run);
    slot.replaceChildren();
    append(
      slot,
      el('span', { class: 'label' }, 'Status: '),
      el('span', { class: `status status-${run.status}`, 'data-testid': 'run-status', tabindex: -1 }, run.status),
      // The row reads "Status: failed — partial output kept".
      note ? el('span', { class: 'partial-note', 'data-testid': 'partial-note' }, ` — ${PARTIAL_OUTPUT_KEPT}`) : null,
      button('Stop', () => this.requestStop(run.header.runId), {
        class: 'secondary',
        'data-testid': 'stop-button',
        hidden: !running,
        'aria-keyshortcuts': 'Escape',
        title: 'Stop the run (Escape)',
      }),
    );
  }

  private renderOutcome(run: RunView): void {
    const outcome = run.outcome;
    this.errorSlot?.replaceChildren();
    this.outcomeSlot?.replaceChildren();
    if (!outcome) return;
    if (outcome.error) this.errorSlot?.appendChild(this.errorPanel(run.header.runId, outcome.error));
    const slot = this.outcomeSlot;
    if (!slot) return;
    append(slot, resultSection(outcome));
    if (outcome.structured) append(slot, structuredSection(outcome));
    if (outcome.pendingTools && outcome.pendingTools.length > 0) append(slot, toolResultsSection(run.header.runId, outcome, outcome.pendingTools));
    if (showsContinue(outcome)) append(slot, continueSection(run.header.runId, outcome));
  }

  private errorPanel(runId: string, error: RunErrorView): HTMLElement {
    const headingId = uniqueId('error-heading');
    const countdown = el('p', { class: 'countdown', 'data-testid': 'retry-countdown' });
    const actions = el('div', { class: 'actions' });
    let retry: HTMLButtonElement | undefined;
    for (const action of error.actions) {
      const onClick = action === 'retry' ? () => post({ type: 'retry', runId }) : () => post({ type: 'errorAction', action });
      const control = button(errorActionLabel(action), onClick, {
        class: action === 'retry' ? 'primary' : 'secondary',
        'data-testid': action === 'retry' ? 'retry-button' : `error-action-${action}`,
      });
      if (action === 'retry') retry = control;
      actions.appendChild(control);
    }
    const panel = el(
      'section',
      { class: 'error-panel', 'aria-labelledby': headingId },
      el('h3', { id: headingId }, error.title),
      el('p', { 'data-testid': 'error-message' }, error.message),
      error.fieldPath ? el('p', {}, 'Field: ', el('code', {}, error.fieldPath)) : null,
      error.requestId ? el('p', { class: 'description' }, 'Request id: ', el('code', { class: 'selectable' }, error.requestId)) : null,
      countdown,
      actions,
    );
    const clock = retryClock;
    if (error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0 && clock && clock.runId === runId) {
      const wait = error.retryAfterSeconds;
      const tick = (): void => {
        const left = retrySecondsLeft(wait, performance.now() - clock.receivedAt);
        countdown.textContent = left > 0 ? `You can retry in ${left} s.` : 'You can retry now.';
        if (retry) retry.disabled = left > 0;
        if (left === 0) this.clearCountdown();
      };
      tick();
      if (this.countdownTimer === undefined && retrySecondsLeft(wait, performance.now() - clock.receivedAt) > 0) {
        this.countdownTimer = setInterval(tick, 1000);
      }
    } else {
      countdown.hidden = true;
    }
    return panel;
  }

  private clearCountdown(): void {
    if (this.countdownTimer !== undefined) clearInterval(this.countdownTimer);
    this.countdownTimer = undefined;
  }
}

function resultSection(outcome: RunOutcomeView): HTMLElement | null {
  const facts = [outcome.stopReason, outcome.usage, outcome.costText, outcome.timeToFirstTokenMs, outcome.outputTokensPerSecond, outcome.durationMs, outcome.requestId];
  if (facts.every((fact) => fact === undefined)) return null;
  const headingId = uniqueId('result-heading');
  const section = el('section', { class: 'result', 'aria-labelledby': headingId }, el('h3', { id: headingId }, 'Result'));
  if (outcome.stopReason) {
    append(
      section,
      el('p', { class: 'stop-reason', 'data-testid': 'stop-reason' }, 'Stop reason: ', el('code', {}, outcome.stopReason), outcome.stopExplanation ? ` — ${outcome.stopExplanation}` : ''),
    );
  }
  if (outcome.usage) append(section, usageList(outcome.usage, 'usage'));
  append(
    section,
    definitionList({ class: 'facts timing', 'aria-label': 'Cost and timing' }, [
      ['Cost', outcome.costText === undefined ? undefined : el('span', { 'data-testid': 'cost' }, outcome.costText)],
      ['Time to first token', outcome.timeToFirstTokenMs === undefined ? undefined : formatDuration(outcome.timeToFirstTokenMs)],
      ['Output speed', outcome.outputTokensPerSecond === undefined ? undefined : formatTokensPerSecond(outcome.outputTokensPerSecond)],
      ['Duration', outcome.durationMs === undefined ? undefined : formatDuration(outcome.durationMs)],
      ['Request id', outcome.requestId === undefined ? undefined : el('code', { class: 'selectable', 'data-testid': 'request-id' }, outcome.requestId)],
    ]),
  );
  return section;
}

function structuredSection(outcome: RunOutcomeView): HTMLElement {
  const structured = outcome.structured;
  const headingId = uniqueId('structured-heading');
  const section = el('section', { class: 'structured', 'aria-labelledby': headingId }, el('h3', { id: headingId }, 'Structured output'));
  if (!structured) return section;
  append(section, el('pre', { class: 'code', 'data-testid': 'structured-output' }, structured.pretty));
  if (!structured.parsed) append(section, el('p', { class: 'error-text' }, 'The output is not valid JSON.'));
  if (structured.errors.length > 0) {
    append(
      section,
      el('p', { class: 'error-text' }, `${structured.errors.length === 1 ? 'One schema violation' : `${structured.errors.length} schema violations`}:`),
      el('ul', { class: 'schema-errors', 'data-testid': 'schema-errors' }, ...structured.errors.map((error) => el('li', {}, error))),
    );
  } else if (structured.parsed) {
    append(section, el('p', { class: 'description' }, 'Matches the schema.'));
  }
  return section;
}

function toolResultsSection(runId: string, outcome: RunOutcomeView, tools: readonly ToolUseView[]): HTMLElement {
  const headingId = uniqueId('tools-heading');
  const section = el('section', { class: 'tools', 'aria-labelledby': headingId }, el('h3', { id: headingId }, 'Tool calls awaiting results'));
  if (outcome.toolRounds) {
    append(section, el('p', { class: 'description', 'data-testid': 'tool-rounds' }, `Tool rounds used: ${outcome.toolRounds.used} of ${outcome.toolRounds.max}.`));
  }
  const inputs: { tool: ToolUseView; content: HTMLTextAreaElement; isError: HTMLInputElement }[] = [];
  for (const tool of tools) {
    const contentId = uniqueId('tool-result');
    const errorId = uniqueId('tool-error');
    const content = el('textarea', { id: contentId, rows: 4, 'data-testid': 'tool-result-input', 'data-tool-use-id': tool.id });
    const isError = el('input', { type: 'checkbox', id: errorId, 'data-testid': 'tool-result-is-error' });
    inputs.push({ tool, content, isError });
    append(
      section,
      el(
        'fieldset',
        { class: 'tool' },
        el('legend', {}, tool.name, ' ', el('code', { class: 'description' }, tool.id)),
        el('pre', { class: 'code', 'aria-label': `Input for ${tool.name}` }, prettyJsonOrRaw(tool.inputJson).text),
        el('label', { for: contentId }, `Result for ${tool.name}`),
        content,
        el('div', { class: 'checkbox' }, isError, el('label', { for: errorId }, 'The tool failed (send as is_error)')),
      ),
    );
  }
  const canSend = toolRoundsLeft(outcome);
  append(
    section,
    canSend ? null : el('p', { class: 'error-text' }, 'The tool round limit is reached; raise it in the prompt file to go on.'),
    el(
      'div',
      { class: 'actions' },
      button(
        tools.length === 1 ? 'Send tool result' : 'Send tool results',
        () =>
          post({
            type: 'submitToolResults',
            runId,
            results: inputs.map(({ tool, content, isError }) => ({ toolUseId: tool.id, content: content.value, isError: isError.checked })),
          }),
        { class: 'primary', 'data-testid': 'send-tool-results', disabled: !canSend },
      ),
    ),
  );
  return section;
}

function continueSection(runId: string, outcome: RunOutcomeView): HTMLElement {
  const headingId = uniqueId('continue-heading');
  const inputId = uniqueId('continue-input');
  const hintId = uniqueId('continue-hint');
  const problemId = uniqueId('continue-problem');
  const needsMessage = continueNeedsMessage(outcome);
  const input = el('textarea', {
    id: inputId,
    rows: 4,
    'data-testid': 'continue-input',
    'aria-describedby': `${hintId} ${problemId}`,
    placeholder: needsMessage ? 'The next user message' : 'Optional: a further user message',
  });
  const problem = el('p', { id: problemId, class: 'validation-message', role: 'alert', hidden: true });
  const send = (mode: 'inPlace' | 'newFile'): void => {
    if (needsMessage && input.value.trim() === '') {
      problem.textContent = 'Write the next user message first.';
      problem.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    problem.hidden = true;
    input.removeAttribute('aria-invalid');
    post({ type: 'continue', runId, message: input.value, mode });
  };
  input.addEventListener('input', () => {
    if (input.value.trim() !== '') {
      problem.hidden = true;
      input.removeAttribute('aria-invalid');
    }
  });
  return el(
    'section',
    { class: 'continue', 'aria-labelledby': headingId },
    el('h3', { id: headingId }, 'Continue'),
    el(
      'p',
      { id: hintId, class: 'description' },
      needsMessage
        ? 'Send a further user message in this conversation: in place adds the turn to this prompt file; a new file copies the conversation first.'
        : 'The API paused this turn (pause_turn). Continue resends the conversation as it is so the model can carry on; a further message is optional.',
    ),
    el('label', { for: inputId }, needsMessage ? 'Next user message' : 'Next user message (optional)'),
    input,
    problem,
    el(
      'div',
      { class: 'actions' },
      button('Continue in place', () => send('inPlace'), { class: 'primary', 'data-testid': 'continue-in-place' }),
      button('Continue in new file', () => send('newFile'), { class: 'secondary', 'data-testid': 'continue-new-file' }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// History and comparison.

class HistorySection {
  private selected: string[] = [];
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly compareButton: HTMLButtonElement;

  constructor(container: HTMLElement) {
    this.list = el('ul', { class: 'history-list', 'data-testid': 'history-list', 'aria-label': 'Past runs' });
    this.empty = el('p', { class: 'description' }, 'No runs in the history yet. Refresh history to load it.');
    this.compareButton = button('Compare selected', () => this.compare(), { class: 'secondary', 'data-testid': 'compare-button', disabled: true });
    append(
      container,
      el('div', { class: 'actions' }, button('Refresh history', () => post({ type: 'listHistory' }), { class: 'secondary', 'data-testid': 'refresh-history' }), this.compareButton),
      this.empty,
      this.list,
    );
  }

  render(entries: readonly HistoryEntryView[]): void {
    this.selected = pruneCompareSelection(this.selected, entries);
    keepingFocus(this.list, () => {
      this.list.replaceChildren(...entries.map((entry) => this.entry(entry)));
    });
    this.empty.hidden = entries.length > 0;
    this.syncSelection();
  }

  private entry(entry: HistoryEntryView): HTMLLIElement {
    const when = formatStartedAt(entry.startedAt);
    const selectId = uniqueId('history-select');
    const checkbox = el('input', {
      type: 'checkbox',
      id: selectId,
      'data-record-id': entry.recordId,
      'data-focus-key': `select:${entry.recordId}`,
      'data-testid': 'history-select',
      'aria-label': `Select to compare: ${entry.promptName}, ${when}`,
    });
    checkbox.addEventListener('change', () => {
      this.selected = toggleCompareSelection(this.selected, entry.recordId);
      this.syncSelection();
    });
    const label = `${entry.promptName}, ${when}`;
    return el(
      'li',
      { class: 'history-entry', 'data-record-id': entry.recordId, 'data-testid': 'history-entry' },
      el(
        'div',
        { class: 'history-summary' },
        el('strong', {}, entry.promptName),
        el('span', { class: 'description' }, entry.model),
        el('span', { class: `status status-${entry.status}` }, entry.status),
        entry.costText ? el('span', {}, entry.costText) : null,
        el('time', { datetime: entry.startedAt, class: 'description' }, when),
      ),
      entry.preview ? el('p', { class: 'history-preview' }, entry.preview) : null,
      el(
        'div',
        { class: 'actions' },
        button('Open', () => post({ type: 'openRun', recordId: entry.recordId }), { class: 'secondary', 'aria-label': `Open ${label}`, 'data-focus-key': `open:${entry.recordId}`, 'data-testid': 'history-open' }),
        button('Rerun', () => post({ type: 'rerun', recordId: entry.recordId }), { class: 'secondary', 'aria-label': `Rerun ${label}`, 'data-focus-key': `rerun:${entry.recordId}`, 'data-testid': 'history-rerun' }),
        el('span', { class: 'checkbox' }, checkbox, el('label', { for: selectId }, 'Select to compare')),
      ),
    );
  }

  private syncSelection(): void {
    for (const box of this.list.querySelectorAll<HTMLInputElement>('input[type="checkbox"][data-record-id]')) {
      box.checked = this.selected.includes(box.dataset['recordId'] ?? '');
    }
    this.compareButton.disabled = this.selected.length !== 2;
    this.compareButton.textContent = `Compare selected (${this.selected.length} of 2)`;
  }

  private compare(): void {
    const [left, right] = this.selected;
    if (left !== undefined && right !== undefined) post({ type: 'compareRuns', leftRecordId: left, rightRecordId: right });
  }
}

function compareColumn(run: RunView, side: 'left' | 'right'): HTMLElement {
  const headingId = uniqueId('compare-column');
  const outcome = run.outcome;
  return el(
    'section',
    { class: 'compare-column', 'aria-labelledby': headingId, 'data-testid': `compare-${side}` },
    el('h3', { id: headingId }, `${side === 'left' ? 'Left' : 'Right'}: ${run.header.promptName}`),
    el('p', { class: 'description' }, `${run.header.model} · ${formatStartedAt(run.header.startedAt)} · `, el('span', { class: `status status-${run.status}` }, run.status)),
    finishedBlocks(run.blocks, { 'data-testid': 'compare-output' }),
    outcome?.usage ? usageList(outcome.usage, 'compare-usage') : null,
    definitionList({ class: 'facts', 'aria-label': 'Cost and timing' }, [
      ['Cost', outcome?.costText === undefined ? undefined : el('span', { 'data-testid': 'compare-cost' }, outcome.costText)],
      ['Duration', outcome?.durationMs === undefined ? undefined : formatDuration(outcome.durationMs)],
      ['Stop reason', outcome?.stopReason === undefined ? undefined : el('code', {}, outcome.stopReason)],
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// The page, the state, and one render per animation frame.

function section(id: string, title: string, className: string): { section: HTMLElement; body: HTMLElement; heading: HTMLElement } {
  const heading = el('h2', { id }, title);
  const body = el('div', { class: `${className}-body` });
  return { section: el('section', { class: className, 'aria-labelledby': id }, heading, body), body, heading };
}

const app = document.getElementById('app') ?? document.body;
const announcer = el('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'announcer' });
const runPart = section('run-heading', 'Run', 'run-section');
const comparePart = section('compare-heading', 'Compare runs', 'compare-section');
const historyPart = section('history-heading', 'History', 'history-section');
comparePart.heading.after(
  button(
    'Close comparison',
    () => {
      state = closeCompare(state);
      pending.compare = true;
      scheduleRender();
      saveNow();
    },
    { class: 'secondary', 'data-testid': 'close-compare' },
  ),
);
append(app, el('h1', {}, app.dataset['title'] ?? 'Prompt Workbench'), announcer, runPart.section, comparePart.section, historyPart.section);

const runView = new RunSection(runPart.body);
const historyView = new HistorySection(historyPart.body);

const restored = vscode.getState();
let state: PanelState = isPanelState(restored) ? restored : emptyPanelState();

/** When the current run's rate-limit error arrived, so its countdown survives re-renders. */
let retryClock: { runId: string; receivedAt: number } | undefined;

interface PendingRender {
  /** The whole run section must be rebuilt from the state. */
  fullRun: boolean;
  /** Streamed progress for the run on screen, applied incrementally unless fullRun. */
  progressRunId: string | undefined;
  starts: BlockStart[];
  appends: Map<number, string[]>;
  finished: boolean;
  history: boolean;
  compare: boolean;
  announcement: string | undefined;
}

const pending: PendingRender = {
  fullRun: true,
  progressRunId: undefined,
  starts: [],
  appends: new Map(),
  finished: false,
  history: true,
  compare: true,
  announcement: undefined,
};
let frameRequested = false;

function scheduleRender(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
}

function flush(): void {
  frameRequested = false;
  if (pending.fullRun) {
    runView.render(state.current);
  } else {
    if (pending.progressRunId !== undefined) runView.applyProgress(pending.progressRunId, pending.starts, pending.appends);
    if (pending.finished && state.current) runView.finish(state.current);
  }
  if (pending.history) historyView.render(state.history);
  if (pending.compare) renderCompare();
  if (pending.announcement !== undefined) announcer.textContent = pending.announcement;
  Object.assign(pending, {
    fullRun: false,
    progressRunId: undefined,
    starts: [],
    appends: new Map(),
    finished: false,
    history: false,
    compare: false,
    announcement: undefined,
  } satisfies PendingRender);
}

function renderCompare(): void {
  const compare = state.compare;
  comparePart.section.hidden = !compare;
  comparePart.body.replaceChildren();
  if (compare) append(comparePart.body, el('div', { class: 'compare-columns' }, compareColumn(compare.left, 'left'), compareColumn(compare.right, 'right')));
}

function queueProgress(runId: string, starts: readonly BlockStart[], appends: readonly BlockAppend[]): void {
  if (pending.fullRun) return; // the rebuild reads the text from the state
  pending.progressRunId = runId;
  pending.starts.push(...starts);
  for (const { index, text } of appends) {
    const pieces = pending.appends.get(index);
    if (pieces) pieces.push(text);
    else pending.appends.set(index, [text]);
  }
}

function onHostMessage(message: HostToPanel): void {
  const previous = state;
  state = applyHostMessage(state, message);
  if (state === previous) return;
  switch (message.type) {
    case 'runStarted':
      pending.fullRun = true;
      retryClock = undefined;
      if (state.current) pending.announcement = runAnnouncement(state.current);
      break;
    case 'runProgress':
      queueProgress(message.runId, message.starts, message.appends);
      break;
    case 'runFinished':
      pending.finished = true;
      if (message.outcome.error?.retryAfterSeconds !== undefined) retryClock = { runId: message.runId, receivedAt: performance.now() };
      if (state.current) pending.announcement = runAnnouncement(state.current);
      break;
    case 'showRun':
      pending.fullRun = true;
      pending.announcement = `Showing ${message.run.header.promptName}, ${message.run.status}.`;
      break;
    case 'history':
      pending.history = true;
      break;
    case 'compare':
      pending.compare = true;
      pending.announcement = `Comparing ${message.left.header.promptName} with ${message.right.header.promptName}.`;
      break;
    default:
      assertNever(message);
  }
  scheduleRender();
  if (message.type === 'runProgress') saveSoon();
  else saveNow();
}

// Saving serializes the whole state, so while output streams it happens at most once a second
// (less often for very long output); every other message saves at once.
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let lastSaved = 0;

function saveNow(): void {
  if (saveTimer !== undefined) clearTimeout(saveTimer);
  saveTimer = undefined;
  lastSaved = Date.now();
  vscode.setState(compactPanelState(state));
}

function saveSoon(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(saveNow, Math.max(0, lastSaved + streamingSaveIntervalMs(state) - Date.now()));
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data;
  if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') {
    onHostMessage(data as HostToPanel);
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented) return;
  const current = state.current;
  if (runView.isRunning(current)) {
    event.preventDefault();
    runView.requestStop(current.header.runId);
  }
});

scheduleRender();
post({ type: 'ready' });
