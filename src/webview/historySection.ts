// The history section: past runs with Open, Rerun, and a pick of two to compare.
import type { HistoryEntryView } from '../protocol';
import { formatStartedAt, pruneCompareSelection, toggleCompareSelection } from '../panel/panelModel';
import { append, button, el, keepingFocus, uniqueId } from './dom';
import type { PostToHost } from './runSection';

export class HistorySection {
  private selected: string[] = [];
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly compareButton: HTMLButtonElement;

  constructor(
    container: HTMLElement,
    private readonly post: PostToHost,
  ) {
    this.list = el('ul', { class: 'history-list', 'data-testid': 'history-list', 'aria-label': 'Past runs' });
    this.empty = el('p', { class: 'description' }, 'No runs in the history yet. Refresh history to load it.');
    this.compareButton = button('Compare selected', () => this.compare(), { class: 'secondary', 'data-testid': 'compare-button', disabled: true });
    append(
      container,
      el('div', { class: 'actions' }, button('Refresh history', () => this.post({ type: 'listHistory' }), { class: 'secondary', 'data-testid': 'refresh-history' }), this.compareButton),
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
        entry.simulated ? el('span', { class: 'simulator-tag', 'data-testid': 'history-simulated', title: 'Answered by the local API simulator, not billed' }, 'simulator') : null,
        entry.costText ? el('span', {}, entry.costText) : null,
        entry.cacheText ? el('span', { class: 'description', 'data-testid': 'history-cache' }, entry.cacheText) : null,
        el('time', { datetime: entry.startedAt, class: 'description' }, when),
      ),
      entry.preview ? el('p', { class: 'history-preview' }, entry.preview) : null,
      el(
        'div',
        { class: 'actions' },
        button('Open', () => this.post({ type: 'openRun', recordId: entry.recordId }), { class: 'secondary', 'aria-label': `Open ${label}`, 'data-focus-key': `open:${entry.recordId}`, 'data-testid': 'history-open' }),
        button('Rerun', () => this.post({ type: 'rerun', recordId: entry.recordId }), { class: 'secondary', 'aria-label': `Rerun ${label}`, 'data-focus-key': `rerun:${entry.recordId}`, 'data-testid': 'history-rerun' }),
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
    if (left !== undefined && right !== undefined) this.post({ type: 'compareRuns', leftRecordId: left, rightRecordId: right });
  }
}

