// The Message Batches endpoints a job uses, through the official SDK: `client.messages.batches`,
// or `client.beta.messages.batches` with the prompt's betas when it has any (anthropic-api.md §15),
// behind one shape so the rest of the batch code does not care which.
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';

/** The part of the SDK client batch jobs use. */
export type BatchesClient = Pick<Anthropic, 'messages' | 'beta'>;

export interface BatchesApi {
  /**
   * Creates a batch from a streamed body (`{"requests":[…]}` as bytes). The SDK sends an
   * async-iterable `body` option as it is produced, and never retries it, which is what a create
   * wants anyway: a retried create whose first attempt got through would make a second batch.
   */
  create(body: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ batch: MessageBatch; headers: Headers }>;
  retrieve(id: string, signal?: AbortSignal): Promise<MessageBatch>;
  cancel(id: string, signal?: AbortSignal): Promise<MessageBatch>;
  /** The results as the SDK streams them (JSONL, never read whole); fails while the batch is still processing. */
  results(id: string, signal?: AbortSignal): Promise<AsyncIterable<MessageBatchIndividualResponse>>;
}

const JSON_BODY = { 'content-type': 'application/json' };

export function batchesApi(client: BatchesClient, betas: readonly string[]): BatchesApi {
  const options = (signal: AbortSignal | undefined) => (signal ? { signal } : {});
  if (betas.length === 0) {
    const batches = client.messages.batches;
    return {
      async create(body, signal) {
        const { data, response } = await batches.create({ requests: [] }, { body, headers: JSON_BODY, maxRetries: 0, ...options(signal) }).withResponse();
        return { batch: data, headers: response.headers };
      },
      retrieve: (id, signal) => batches.retrieve(id, {}, options(signal)),
      cancel: (id, signal) => batches.cancel(id, {}, options(signal)),
      results: (id, signal) => batches.results(id, {}, options(signal)),
    };
  }
  const batches = client.beta.messages.batches;
  const list = [...betas];
  // The beta shapes are supersets of the GA ones for every field a job reads.
  return {
    async create(body, signal) {
      const { data, response } = await batches.create({ requests: [], betas: list }, { body, headers: JSON_BODY, maxRetries: 0, ...options(signal) }).withResponse();
      return { batch: data as unknown as MessageBatch, headers: response.headers };
    },
    retrieve: async (id, signal) => (await batches.retrieve(id, { betas: list }, options(signal))) as unknown as MessageBatch,
    cancel: async (id, signal) => (await batches.cancel(id, { betas: list }, options(signal))) as unknown as MessageBatch,
    results: async (id, signal) => (await batches.results(id, { betas: list }, options(signal))) as unknown as AsyncIterable<MessageBatchIndividualResponse>,
  };
}
