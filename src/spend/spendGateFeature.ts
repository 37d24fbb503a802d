import { SpendGate, type SpendGateDeps } from '../core/spend/spendGate';

// The spend gate's code is a sibling bundle (dist/spendGate.js, see bundles.mjs): only billed calls
// need it (runs, dataset jobs, batches), so features.js does not carry it for the edit path.
// SpendTracking requires this entry on the first billed call and keeps the one gate it builds.

export function createSpendGate(deps: SpendGateDeps): SpendGate {
  return new SpendGate(deps);
}
