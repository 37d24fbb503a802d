// The chunk preview's page (Run Prompt over Chunks…): how the input was cut (each chunk's counted
// size, where it starts, a link to that place in the source), what the map calls and the reduce
// cost now and as a batch, the spend checks, and the buttons that start, cancel or resume the job.
// Nothing is sent until Start is clicked. Every string from the host is shown with textContent.
import type { ChunkJobState, ChunkPreviewView, ChunkProgressView, CostPairView, HostToPreview, PreviewToHost } from '../chunking/chunkProtocol';
import { button, el } from './dom';

interface VsCodeApi {
  postMessage(message: PreviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const fmtInt = (n: number | undefined): string => (n === undefined ? '' : Math.round(n).toLocaleString('en-US'));
const fmtUsd = (n: number | undefined): string => (n === undefined ? 'unknown' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
const fmtPair = (pair: CostPairView): string => `${fmtUsd(pair.expectedUsd)} expected · ${fmtUsd(pair.worstUsd)} worst case`;

let preview: ChunkPreviewView | undefined;
let state: ChunkJobState | undefined;

const app = document.getElementById('app') as HTMLElement;
const summary = el('section', { class: 'plan', 'aria-label': 'Preview' });
const stateText = el('div', { class: 'state', role: 'status', 'data-state-text': '' });
const progressBar = el('progress', { max: 1, value: 0 });
const progressText = el('div', { class: 'progress-text', role: 'status', 'data-progress': '' });
const startButton = button('Start', () => vscode.postMessage({ type: 'start' }), { class: 'primary', 'data-action': 'start' });
const startOverButton = button('Start over', () => vscode.postMessage({ type: 'startOver' }), { 'data-action': 'startOver', title: 'Forget the chunks finished before and send every chunk again, into a new results file.' });
const batchButton = button('Submit as Batch (×0.5)', () => {
  // One click, one submission: the host answers with the new state (submitted, or why not).
  batchButton.disabled = true;
  vscode.postMessage({ type: 'submitBatch' });
}, { 'data-action': 'submitBatch' });
const cancelButton = button('Cancel', () => vscode.postMessage({ type: 'cancel' }), { 'data-action': 'cancel' });
const resultsButton = button('Open per-chunk results', () => vscode.postMessage({ type: 'showResults' }), { 'data-action': 'showResults' });
const outputButton = button('Open stitched output', () => vscode.postMessage({ type: 'showOutput' }), { 'data-action': 'showOutput' });
const buttons = el('div', { class: 'buttons' }, startButton, startOverButton, batchButton, cancelButton, resultsButton, outputButton);
const chunkTable = el('table', { class: 'chunks', 'aria-label': 'Chunks' });
app.append(summary, el('section', { class: 'progress', 'aria-label': 'Progress' }, buttons, stateText, progressBar, progressText), chunkTable);

function renderPreview(view: ChunkPreviewView): void {
  preview = view;
  summary.replaceChildren(el('h2', {}, `${view.promptName} over the chunks of ${view.source}`));
  const list = el('dl', {});
  const add = (term: string, value: string, attributes: Record<string, string> = {}): void => {
    list.append(el('dt', {}, term), el('dd', attributes, value));
  };
  add('Model', view.model);
  add('Chunked', `{{${view.variable}}} from ${view.source} (${fmtInt(view.sourceBytes)} bytes)`);
  add(
    'Chunks',
    `${fmtInt(view.chunks.length)} of about ${fmtInt(view.targetTokens)} tokens (${view.targetFrom === 'declared' ? 'declared' : 'the default: the context window less the prompt, max_tokens and the headroom'}), cut at ${view.boundary} boundaries, ${fmtInt(view.overlapTokens)} tokens of overlap`,
    { 'data-chunk-count': String(view.chunks.length) },
  );
  add('Each request', `${fmtInt(view.overheadTokens)} tokens of prompt + the chunk, up to ${fmtInt(view.maxTokens)} output tokens`);
  add('Sizing', view.countCalls > 0 ? `${fmtInt(view.countCalls)} count_tokens calls (${(view.countCalls / Math.max(1, view.chunks.length)).toFixed(2)} per chunk)` : 'the chunks of the earlier run, reused');
  add('Stitch', view.stitch);
  if (view.cost.known) {
    add('Map now', fmtPair(view.cost.map.now), { 'data-cost': 'map-now' });
    add('Reduce', fmtPair(view.cost.reduce), { 'data-cost': 'reduce' });
    add('Total now', fmtPair(view.cost.total.now), { 'data-cost': 'total-now' });
    // The reduce needs every result: it is sent now, once the batch has ended, at the price above.
    const reduced = (view.cost.reduce.worstUsd ?? 0) > 0;
    add('Total as a batch', `${fmtPair(view.cost.total.batch)} (×0.5 on the map${reduced ? '; the reduce is sent now, when the batch ends' : ''})`, { 'data-cost': 'total-batch' });
  } else {
    add('Cost', view.cost.reason ?? 'unknown');
  }
  add('Limits', view.limitsCheck.kind === 'send' ? 'within the spend cap and the monthly budget' : (view.limitsCheck.message ?? view.limitsCheck.kind), { 'data-limits': view.limitsCheck.kind });
  if (view.batchLimitsCheck.kind !== 'send') add('Limits as a batch', view.batchLimitsCheck.message ?? view.batchLimitsCheck.kind);
  add('Results', view.results);
  if (view.alreadyDone > 0) add('Resumed', `${fmtInt(view.alreadyDone)} of ${fmtInt(view.chunks.length)} chunks finished by an earlier run are kept and not sent again`, { 'data-already-done': String(view.alreadyDone) });
  summary.append(list);
  for (const error of view.errors) summary.append(el('p', { class: 'error', role: 'alert' }, error));
  for (const warning of view.warnings) summary.append(el('p', { class: 'warning' }, warning));

  const head = el('tr', {}, ...['Chunk', 'Starts at', 'Tokens', 'Characters', 'Overlap', ''].map((h) => el('th', { scope: 'col' }, h)));
  const body = el('tbody', {});
  for (const chunk of view.chunks) {
    const link = button(`line ${fmtInt(chunk.line)}, column ${fmtInt(chunk.column)}`, () => vscode.postMessage({ type: 'openChunk', index: chunk.index }), {
      class: 'link',
      'data-open-chunk': String(chunk.index),
      title: 'Open the source file at the start of this chunk',
    });
    body.append(
      el(
        'tr',
        { 'data-chunk': String(chunk.index), class: chunk.done ? 'done' : '' },
        el('td', {}, String(chunk.index + 1)),
        el('td', {}, link),
        el('td', { class: chunk.withinTarget ? 'number' : 'number off-target', title: chunk.withinTarget ? '' : 'Outside ±2% of the target: the last chunk, or the boundaries allowed no closer cut' }, fmtInt(chunk.tokens)),
        el('td', { class: 'number' }, fmtInt(chunk.characters)),
        el('td', { class: 'number' }, fmtInt(chunk.overlapCharacters)),
        el('td', {}, chunk.done ? 'done' : ''),
      ),
    );
  }
  chunkTable.replaceChildren(el('thead', {}, head), body);
  renderState(state ?? 'planned');
}

function renderState(next: ChunkJobState, message?: string): void {
  state = next;
  const planned = next === 'planned' || next === 'cancelled' || next === 'stopped' || next === 'failed';
  const blocked = !preview || preview.errors.length > 0 || preview.limitsCheck.kind === 'refuse' || preview.chunks.length === 0;
  stateText.textContent = message ?? (next === 'planned' ? 'Nothing is sent until you start.' : next);
  startButton.hidden = !planned;
  startButton.disabled = blocked;
  startButton.textContent = preview && preview.alreadyDone > 0 ? `Resume (${fmtInt(preview.chunks.length - preview.alreadyDone)} chunks left)` : next === 'planned' ? 'Start' : 'Resume';
  startOverButton.hidden = !planned || !preview || preview.alreadyDone === 0;
  batchButton.hidden = !planned;
  batchButton.disabled = blocked || !preview?.batch.available || preview.batchLimitsCheck.kind === 'refuse';
  batchButton.title = preview?.batch.available ? 'Send the chunks as a Message Batch at half price; results usually arrive within an hour (at most 24 h).' : (preview?.batch.reason ?? '');
  cancelButton.hidden = next !== 'running' && next !== 'reducing';
  resultsButton.hidden = next === 'planned' && (!preview || preview.alreadyDone === 0);
  outputButton.hidden = next !== 'finished';
  document.body.dataset['state'] = next;
}

function renderProgress(progress: ChunkProgressView): void {
  const finished = progress.succeeded + progress.errored;
  progressBar.max = Math.max(1, progress.toSend);
  progressBar.value = finished;
  progressText.textContent =
    `${fmtInt(finished)} of ${fmtInt(progress.toSend)} chunks sent${progress.alreadyDone > 0 ? ` (${fmtInt(progress.alreadyDone)} done before)` : ''}` +
    `${progress.errored > 0 ? ` · ${fmtInt(progress.errored)} failed` : ''}${progress.reduceRequests > 0 ? ` · ${fmtInt(progress.reduceRequests)} reduce request${progress.reduceRequests === 1 ? '' : 's'}` : ''} · ${fmtUsd(progress.costUsd)} so far`;
}

window.addEventListener('message', (event: MessageEvent<HostToPreview>) => {
  const message = event.data;
  switch (message.type) {
    case 'preview':
      renderPreview(message.preview);
      return;
    case 'state':
      renderState(message.state, message.message);
      return;
    case 'progress':
      renderProgress(message.progress);
      return;
    default: {
      const unexpected: never = message;
      void unexpected;
    }
  }
});

renderState('planned', 'Counting the chunks…');
vscode.postMessage({ type: 'ready' });
