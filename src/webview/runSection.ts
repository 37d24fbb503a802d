// The run section: header, status and Stop, the streamed output, then the outcome (error with
// retry countdown, usage and cost, structured output, tool results, Continue).
import { formatCount } from '../core/format';
import type { BlockStart, CacheReportView, PanelToHost, RefusalView, RunErrorView, RunOutcomeView, RunView, ToolUseView, UsageView } from '../protocol';
import { errorActionLabel } from '../core/api/runError';
import {
  continueNeedsMessage,
  formatDuration,
  formatStartedAt,
  formatTokensPerSecond,
  PARTIAL_OUTPUT_KEPT,
  partialOutputNote,
  prettyJsonOrRaw,
  retrySecondsLeft,
  showsContinue,
  toolRoundLimitText,
  toolRoundsLeft,
} from '../panel/panelModel';
import { BlockView } from './blockView';
import { append, button, definitionList, el, uniqueId } from './dom';

export type PostToHost = (message: PanelToHost) => void;

/** Input, output and cache token counts as a list. */
export function usageList(usage: UsageView, testId: string): HTMLDListElement {
  return definitionList({ class: 'facts usage', 'data-testid': testId, 'aria-label': 'Token usage' }, [
    ['Input tokens', formatCount(usage.inputTokens)],
    ['Output tokens', `${usage.outputEstimated ? '~' : ''}${formatCount(usage.outputTokens)}${usage.outputEstimated ? ' (estimated: the run stopped before the API reported usage)' : ''}`],
    ['Cache reads', formatCount(usage.cacheReadTokens)],
    ['Cache writes', formatCount(usage.cacheWriteTokens)],
    ['Thinking tokens', usage.thinkingTokens === undefined ? undefined : formatCount(usage.thinkingTokens)],
  ]);
}

/** The run on screen: rebuilt for a new or reopened run, then grown by streamed appends. */
export class RunSection {
  private runId: string | undefined;
  private blockViews = new Map<number, BlockView>();
  private output: HTMLElement | undefined;
  private statusSlot: HTMLElement | undefined;
  private errorSlot: HTMLElement | undefined;
  private outcomeSlot: HTMLElement | undefined;
  private countdownTimer: ReturnType<typeof setInterval> | undefined;
  private stopRequested = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly post: PostToHost,
  ) {}

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
      header.simulated ? simulatorBanner() : null,
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
    this.post({ type: 'stop', runId });
  }

  private addBlock(block: BlockStart, text: string, streaming: boolean): BlockView {
    const runId = this.runId ?? '';
    const view = new BlockView(block, text, streaming, {
      openLink: (url) => this.post({ type: 'openLink', url }),
      downloadFile: (fileId) => this.post({ type: 'downloadFile', runId, fileId }),
    });
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
    if (outcome.pendingTools && outcome.pendingTools.length > 0) append(slot, toolResultsSection(this.post, run.header.runId, outcome, outcome.pendingTools));
    if (showsContinue(outcome)) append(slot, continueSection(this.post, run.header.runId, outcome));
  }

  private errorPanel(runId: string, error: RunErrorView): HTMLElement {
    const headingId = uniqueId('error-heading');
    const countdown = el('p', { class: 'countdown', 'data-testid': 'retry-countdown' });
    const actions = el('div', { class: 'actions' });
    let retry: HTMLButtonElement | undefined;
    for (const action of error.actions) {
      const onClick = action === 'retry' ? () => this.post({ type: 'retry', runId }) : () => this.post({ type: 'errorAction', runId, action });
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
    // retryAt is an absolute time from the host, so a reloaded page counts down from where it was.
    const wait = error.retryAfterSeconds;
    if (wait !== undefined && wait > 0 && error.retryAt !== undefined) {
      const arrivedAt = error.retryAt - wait * 1000;
      const left = (): number => retrySecondsLeft(wait, Date.now() - arrivedAt);
      const tick = (): void => {
        const seconds = left();
        countdown.textContent = seconds > 0 ? `You can retry in ${seconds} s.` : 'You can retry now.';
        if (retry) retry.disabled = seconds > 0;
        if (seconds === 0) this.clearCountdown();
      };
      tick();
      if (this.countdownTimer === undefined && left() > 0) this.countdownTimer = setInterval(tick, 1000);
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

/** Shown above every answer that came from the local API simulator, so it is never taken for Claude's. */
export function simulatorBanner(): HTMLElement {
  return el(
    'p',
    { class: 'simulator-banner', role: 'note', 'data-testid': 'simulator-banner' },
    el('strong', {}, 'Simulator'),
    ': this answer comes from the local API simulator that npm start runs, not from Claude, and nothing is billed. Set an API key (Prompt Workbench: Set API Key) to use the real API.',
  );
}

/** Why the reply was refused: the API's stop_details category and explanation. */
function refusalNote(refusal: RefusalView): HTMLElement {
  return el(
    'p',
    { class: 'refusal', role: 'note', 'data-testid': 'refusal' },
    el('strong', {}, 'Refused'),
    refusal.category ? ` (category ${refusal.category})` : ' (no category)',
    refusal.explanation ? `: ${refusal.explanation}` : '.',
  );
}

/** The cache report: reads, 5m and 1h writes, hit rate, the saving, and why it missed. */
export function cacheReport(cache: CacheReportView): HTMLElement {
  const headingId = uniqueId('cache-heading');
  const section = el('section', { class: 'cache-report', 'aria-labelledby': headingId, 'data-testid': 'cache-report' }, el('h4', { id: headingId }, 'Prompt cache'));
  append(
    section,
    definitionList({ class: 'facts cache', 'aria-label': 'Prompt cache' }, [
      ['Read from cache', el('span', { 'data-testid': 'cache-read' }, `${formatCount(cache.readTokens)} tokens (${cache.hitRatePercent.toFixed(1)}% of the prompt)`)],
      ['Written, 5 minutes', formatCount(cache.write5mTokens)],
      ['Written, 1 hour', formatCount(cache.write1hTokens)],
      ['Not cached', formatCount(cache.uncachedTokens)],
      ['Saving', el('span', { 'data-testid': 'cache-saving' }, cache.savedText)],
      ['Why it missed', cache.missReason === undefined ? undefined : el('span', { 'data-testid': 'cache-miss-reason' }, cache.missReason)],
      ['Changed since the last run', cache.changedSinceLastRun === undefined ? undefined : el('span', { 'data-testid': 'cache-changed' }, cache.changedSinceLastRun)],
    ]),
  );
  return section;
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
  if (outcome.refusal) append(section, refusalNote(outcome.refusal));
  if (outcome.usage) append(section, usageList(outcome.usage, 'usage'));
  if (outcome.cache) append(section, cacheReport(outcome.cache));
  if (outcome.sendNotes && outcome.sendNotes.length > 0) {
    append(section, el('p', { class: 'description', 'data-testid': 'send-notes' }, `Sent with: ${outcome.sendNotes.join('; ')}.`));
  }
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

function toolResultsSection(post: PostToHost, runId: string, outcome: RunOutcomeView, tools: readonly ToolUseView[]): HTMLElement {
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
    canSend ? null : el('p', { class: 'error-text' }, toolRoundLimitText(outcome)),
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

function continueSection(post: PostToHost, runId: string, outcome: RunOutcomeView): HTMLElement {
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

