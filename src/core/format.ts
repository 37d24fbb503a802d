// Numbers and money as the workbench shows them, in one place for the status bar, the cost
// details, the spend guard, the diagnostics and the panel's webview (which bundles this file too,
// so it uses nothing but the language). Grouping is fixed en-US, whatever the host locale, so a
// figure reads the same in the status bar, the panel and a test.

/** 12480 -> "12,480"; fractions are kept to two decimals ("1,234.5"). */
export function formatCount(count: number): string {
  const [whole = '0', fraction] = String(Math.round(count * 100) / 100).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/**
 * Money with as much precision as the size needs: $12.48 and $1,234.50 (cents from $1), $0.037 and
 * $0.00012 (two significant digits below $1), "<$0.00001" for dust, "$0.00" for nothing.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0) return `-${formatUsd(-usd)}`;
  if (usd < 0.00001) return '<$0.00001';
  // 0.995 and up would round to "1.0" at two significant digits: show cents instead.
  if (usd >= 0.995) {
    const [whole = '0', cents = '00'] = usd.toFixed(2).split('.');
    return `$${formatCount(Number(whole))}.${cents}`;
  }
  return `$${usd.toPrecision(2)}`;
}

/** "1.2%", "0.04%" -> "<0.1%", one decimal otherwise. */
export function formatPercent(percent: number): string {
  if (percent > 0 && percent < 0.1) return '<0.1%';
  return `${percent.toFixed(1)}%`;
}
