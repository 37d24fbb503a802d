// The spend view (browser side): the entry point of dist/spendView.js, a bundle of its own. It draws
// what the host's SpendReport says: spend per day as a plain SVG bar chart, by model and by prompt,
// cache and batch savings, the budget, and the rate limits seen. Every string reaches the page as a
// text node (prompt names and model ids are someone else's text); nothing sets inline styles, so
// the CSP can forbid them: sizes are SVG attributes and every colour is a --vscode-* class in CSS.
import { formatUsd } from '../../core/format';
import type { RateLimitBucket, RateLimitSnapshot } from '../../core/spend/rateLimitHeaders';
import type { SpendReport, SpendShare } from '../../core/spend/spendReport';
import type { HostToSpendView, SpendViewToHost } from '../../spend/spendViewProtocol';
import { button, el, type Child } from '../dom';

interface VsCodeApi {
  postMessage(message: SpendViewToHost): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') ?? document.body;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function monthName(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year ?? ''}`.trim();
}

/** A round ceiling for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** Spend per day as bars, with the y axis in dollars and a tooltip (<title>) per bar. */
function dailyChart(report: SpendReport): SVGSVGElement {
  const width = 640;
  const height = 220;
  const left = 56;
  const right = 8;
  const top = 12;
  const bottom = 26;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const days = report.byDay.length;
  const max = niceMax(Math.max(0, ...report.byDay));
  const slot = plotWidth / Math.max(1, days);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': `Spend per day in ${monthName(report.month)}: ${formatUsd(report.totalUsd)} in total`,
    'data-testid': 'daily-chart',
    'data-total-usd': report.totalUsd,
  });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    chart.append(
      svg('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }),
      svg('text', { x: left - 6, y: y + 4, class: 'axis-label', 'text-anchor': 'end' }, formatUsd(max * fraction)),
    );
  }
  report.byDay.forEach((usd, index) => {
    const barHeight = (usd / max) * plotHeight;
    const x = left + index * slot + slot * 0.15;
    const bar = svg('rect', {
      x: x.toFixed(2),
      y: (top + plotHeight - barHeight).toFixed(2),
      width: (slot * 0.7).toFixed(2),
      height: barHeight.toFixed(2),
      class: usd > 0 ? 'bar' : 'bar empty',
      'data-day': index + 1,
      'data-usd': usd,
    });
    bar.append(svg('title', {}, `${monthName(report.month).split(' ')[0]} ${index + 1}: ${formatUsd(usd)}`));
    chart.append(bar);
    const day = index + 1;
    if (day === 1 || day % 5 === 0) chart.append(svg('text', { x: (x + slot * 0.35).toFixed(2), y: height - 8, class: 'axis-label', 'text-anchor': 'middle' }, String(day)));
  });
  return chart;
}

/** A horizontal meter of month-to-date against the budget, with the warning thresholds marked. */
function budgetMeter(report: SpendReport): HTMLElement {
  if (report.budgetUsd <= 0) {
    return el('p', { class: 'budget none', 'data-testid': 'budget' }, 'No monthly budget set. ', button('Set a budget', () => vscode.postMessage({ type: 'openSettings' }), { class: 'link' }));
  }
  const share = report.totalUsd / report.budgetUsd;
  const width = 400;
  const meter = svg('svg', { viewBox: `0 0 ${width} 14`, class: 'meter', role: 'img', 'aria-label': `${(share * 100).toFixed(1)}% of the monthly budget used` });
  meter.append(svg('rect', { x: 0, y: 0, width, height: 14, class: 'meter-track' }));
  meter.append(svg('rect', { x: 0, y: 0, width: (Math.min(1, share) * width).toFixed(2), height: 14, class: share >= 1 ? 'meter-fill over' : 'meter-fill' }));
  for (const percent of report.warningPercents) {
    if (percent > 0 && percent < 100) meter.append(svg('line', { x1: (percent / 100) * width, x2: (percent / 100) * width, y1: 0, y2: 14, class: 'meter-mark' }));
  }
  const left = Math.max(0, report.budgetUsd - report.totalUsd);
  return el(
    'div',
    { class: 'budget', 'data-testid': 'budget' },
    el('p', {}, `${formatUsd(report.totalUsd)} of a ${formatUsd(report.budgetUsd)} budget (${(share * 100).toFixed(1)}%), ${formatUsd(left)} left.`),
    meter as unknown as Node,
  );
}

function shareTable(title: string, testId: string, rows: SpendShare[], total: number): HTMLElement {
  if (rows.length === 0) return el('section', { class: 'shares' }, el('h2', {}, title), el('p', { class: 'muted' }, 'No billed calls this month.'));
  const body = el('tbody', {});
  for (const row of rows) {
    const share = total > 0 ? row.usd / total : 0;
    const bar = svg('svg', { viewBox: '0 0 100 8', class: 'share-bar', 'aria-hidden': 'true' });
    bar.append(svg('rect', { x: 0, y: 0, width: (share * 100).toFixed(2), height: 8, class: 'bar' }));
    body.append(el('tr', {}, el('td', { class: 'name' }, row.name), el('td', { class: 'num' }, String(row.calls)), el('td', { class: 'num' }, formatUsd(row.usd)), el('td', { class: 'share' }, bar as unknown as Node)));
  }
  return el(
    'section',
    { class: 'shares' },
    el('h2', {}, title),
    el('table', { 'data-testid': testId }, el('thead', {}, el('tr', {}, el('th', {}, title.replace(/^By /, '')), el('th', { class: 'num' }, 'Calls'), el('th', { class: 'num' }, 'Spend'), el('th', {}, 'Share'))), body),
  );
}

function bucketCell(bucket: RateLimitBucket | undefined): Child {
  if (!bucket) return '—';
  return `${bucket.remaining.toLocaleString('en-US')} of ${bucket.limit.toLocaleString('en-US')}`;
}

function rateLimitSection(snapshots: RateLimitSnapshot[], tierNames: string[]): HTMLElement {
  const intro = el('p', { class: 'muted' }, `Read from the anthropic-ratelimit-* headers of your own calls. Your usage tier (${tierNames.join(', ')}) sets these limits; the API reports the limits, not the tier's name.`);
  if (snapshots.length === 0) return el('section', {}, el('h2', {}, 'Rate limits'), intro, el('p', { class: 'muted', 'data-testid': 'rate-limits' }, 'None seen yet in this window: run a prompt to read them.'));
  const body = el('tbody', {});
  for (const s of snapshots) {
    body.append(
      el(
        'tr',
        {},
        el('td', { class: 'name' }, s.family),
        el('td', { class: 'num' }, bucketCell(s.requests)),
        el('td', { class: 'num' }, bucketCell(s.inputTokens)),
        el('td', { class: 'num' }, bucketCell(s.outputTokens)),
        el('td', {}, s.seenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
      ),
    );
  }
  return el(
    'section',
    {},
    el('h2', {}, 'Rate limits'),
    intro,
    el(
      'table',
      { 'data-testid': 'rate-limits' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Family'), el('th', { class: 'num' }, 'Requests / min left'), el('th', { class: 'num' }, 'Input tokens / min left'), el('th', { class: 'num' }, 'Output tokens / min left'), el('th', {}, 'Seen'))),
      body,
    ),
  );
}

function render(report: SpendReport): void {
  const savings = el(
    'dl',
    { class: 'savings', 'data-testid': 'savings' },
    el('div', { class: 'row' }, el('dt', {}, 'Cache savings'), el('dd', {}, `${formatUsd(report.cacheSavingsUsd)} (cache reads against the full input price)`)),
    el('div', { class: 'row' }, el('dt', {}, 'Batch savings'), el('dd', {}, `${formatUsd(report.batchSavingsUsd)} (batch ×0.5 against synchronous prices)`)),
    el('div', { class: 'row' }, el('dt', {}, 'Billed calls'), el('dd', {}, `${report.calls}${report.unpricedCalls ? ` (${report.unpricedCalls} of unknown cost, not in the total)` : ''}`)),
    el('div', { class: 'row' }, el('dt', {}, 'Token counts'), el('dd', {}, `${report.countCalls} (free, not billed)`)),
    el('div', { class: 'row' }, el('dt', {}, 'Simulated, kept apart'), el('dd', { 'data-testid': 'simulated' }, `${report.simulated.calls} calls, ${formatUsd(report.simulated.usd)} (never added to real spend)`)),
  );
  app.replaceChildren(
    el('header', { class: 'header' }, el('h1', {}, `Spend in ${monthName(report.month)}`), button('Export CSV', () => vscode.postMessage({ type: 'exportCsv' }), { 'data-testid': 'export-csv' })),
    el('p', { class: 'total', 'data-testid': 'chart-total' }, `${formatUsd(report.totalUsd)} this month`),
    budgetMeter(report),
    el('section', { class: 'chart-section' }, el('h2', {}, 'Per day (UTC)'), dailyChart(report) as unknown as Node),
    savings,
    el('div', { class: 'columns' }, shareTable('By model', 'by-model', report.byModel, report.totalUsd), shareTable('By prompt', 'by-prompt', report.byPrompt, report.totalUsd)),
    rateLimitSection(report.rateLimits, report.tierNames),
  );
}

window.addEventListener('message', (event: MessageEvent<HostToSpendView>) => {
  const message = event.data;
  switch (message.type) {
    case 'report':
      render(message.report);
      return;
    default: {
      const unexpected: never = message.type;
      console.warn(`spend view: unknown message ${String(unexpected)}`);
    }
  }
});

app.replaceChildren(el('p', { class: 'muted' }, 'Reading the spend ledger…'));
vscode.postMessage({ type: 'ready' });
