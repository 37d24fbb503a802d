// How a response says it came from the project's own API simulator (test/simulator), so spend on
// it is recorded apart and never added to real spend. The simulator answers as an organization
// id no real organization has (the nil-like UUID below). The mark is read from the response that
// actually came back, not guessed from the base URL: a gateway on localhost still bills for real.
import { responseHeader } from './responseHeaders';

export const SIMULATOR_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000000';

/** Whether response headers (a Fetch `Headers` or a record) come from the simulator. */
export function isSimulatedResponse(headers: unknown): boolean {
  return responseHeader(headers, 'anthropic-organization-id') === SIMULATOR_ORGANIZATION_ID;
}
