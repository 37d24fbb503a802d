import type { ApiConnection } from './api/apiConnection';
import type { WorkbenchConfig } from './config/workbenchConfig';
import type { ModelLimits } from './models/modelLimits';
import type { Prices } from './pricing/prices';
import type { PromptDocuments } from './promptDocuments';
import type { SpendTracking } from './spend/spendTracking';

/** The shared services that counting, pricing and sending a prompt need, built once in features.ts and handed to each feature. */
export interface PromptServices {
  documents: PromptDocuments;
  api: ApiConnection;
  config: WorkbenchConfig;
  /** Prices with the user's overrides. */
  prices: Prices;
  limits: ModelLimits;
  /** The one billed-call path (spend cap, monthly budget, ledger) and the rate limits seen. */
  spend: SpendTracking;
}
