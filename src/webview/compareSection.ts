// The comparison section: two runs side by side, with their outputs, usage and cost.
import type { RunView } from '../protocol';
import { formatDuration, formatStartedAt } from '../panel/panelModel';
import { finishedBlocks } from './blockView';
import { definitionList, el, uniqueId } from './dom';
import { usageList } from './runSection';

/** Both runs side by side (one above the other in a narrow panel). */
export function compareColumns(left: RunView, right: RunView): HTMLElement {
  return el('div', { class: 'compare-columns' }, compareColumn(left, 'left'), compareColumn(right, 'right'));
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
