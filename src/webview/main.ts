// The Prompt Workbench panel (browser side): the entry point of dist/webview.js. Host messages go
// through the pure reducer in src/panel/panelModel.ts (the host keeps the same state with it); this
// file holds that state, renders it in one animation frame per batch of messages, persists it with
// setState, and turns the user's keys into PanelToHost messages. The sections build the DOM.
//
// Safety: model output reaches the page as text nodes, or as HTML only from renderMarkdown
// (markdown-it with html: false and an http(s)/mailto link allowlist). Nothing sets inline styles,
// so the CSP can forbid them.
import type { BlockAppend, BlockStart, HostToPanel, PanelState, PanelToHost } from '../protocol';
import {
  applyHostMessage,
  assertNever,
  closeCompare,
  compactPanelState,
  emptyPanelState,
  isPanelState,
  runAnnouncement,
  streamingSaveIntervalMs,
} from '../panel/panelModel';
import { compareColumns } from './compareSection';
import { append, button, el } from './dom';
import { HistorySection } from './historySection';
import { RunSection } from './runSection';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function post(message: PanelToHost): void {
  vscode.postMessage(message);
}

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

const runView = new RunSection(runPart.body, post);
const historyView = new HistorySection(historyPart.body, post);

const restored = vscode.getState();
let state: PanelState = isPanelState(restored) ? restored : emptyPanelState();

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
  if (compare) append(comparePart.body, compareColumns(compare.left, compare.right));
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
      if (state.current) pending.announcement = runAnnouncement(state.current);
      break;
    case 'runProgress':
      queueProgress(message.runId, message.starts, message.appends);
      break;
    case 'runFinished':
      pending.finished = true;
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
