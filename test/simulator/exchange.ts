// One request/response pair and its lifetime. Everything that waits (latency, pacing, stalls) waits
// through here, so a client abort or the server closing ends the wait at once and leaves no timer
// behind to keep the process alive.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorBody, SimulatedApiError } from './apiError';
import type { ActiveFault } from './faults';

export class Exchange {
  /** True once the connection is gone before the response finished (client abort or reset). */
  aborted = false;
  private closed = false;
  private readonly closeWaiters = new Set<() => void>();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    /** Headers every response carries (request-id, rate limits...). */
    readonly baseHeaders: () => Record<string, string>,
    private readonly onStatus: (status: number) => void,
  ) {
    res.once('close', () => {
      this.closed = true;
      if (!res.writableFinished) this.aborted = true;
      for (const waiter of this.closeWaiters) waiter();
      this.closeWaiters.clear();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when the connection closes (for indefinite stalls). */
  untilClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.add(resolve));
  }

  /** Waits `ms`; resolves false early if the connection closes meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.closeWaiters.delete(onClose);
        resolve(true);
      }, ms);
      timer.unref();
      this.closeWaiters.add(onClose);
    });
  }

  /** A stall: `ms` if given, else until the client gives up. Returns whether the connection is still open. */
  async stall(ms: number | undefined): Promise<boolean> {
    if (ms === undefined) {
      await this.untilClosed();
      return false;
    }
    return this.sleep(ms);
  }

  writeHead(status: number, headers: Record<string, string>): void {
    if (this.res.headersSent || this.closed) return;
    this.onStatus(status);
    this.res.writeHead(status, { ...this.baseHeaders(), ...headers });
  }

  /** Writes a chunk, waiting for the socket to drain when it is full. False once the connection is gone. */
  async write(chunk: string | Buffer): Promise<boolean> {
    if (this.closed) return false;
    if (this.res.write(chunk)) return true;
    return new Promise((resolve) => {
      const onClose = (): void => {
        this.res.off('drain', onDrain);
        resolve(false);
      };
      const onDrain = (): void => {
        this.closeWaiters.delete(onClose);
        resolve(true);
      };
      this.res.once('drain', onDrain);
      this.closeWaiters.add(onClose);
    });
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  /** Drops the connection at once, without a proper end. */
  destroy(): void {
    this.res.socket?.destroy();
    this.res.destroy();
  }

  /**
   * Drops the connection after what was written so far has reached the socket, so the client sees
   * the partial response and then the connection die: a network reset mid-response.
   */
  async dropAfterFlush(): Promise<void> {
    const socket = this.res.socket;
    if (socket && !this.closed) {
      // end() uncorks and flushes what is queued, then sends FIN; the chunked body stays unterminated.
      await new Promise<void>((resolve) => {
        socket.once('finish', resolve);
        socket.once('close', resolve);
        socket.end();
      });
    }
    this.destroy();
  }

  /**
   * Sends a complete body, applying a body-level fault: a stall or reset after the headers, a
   * malformed (cut) body, or a slow trickle.
   */
  async send(status: number, headers: Record<string, string>, body: Buffer | string, fault?: ActiveFault): Promise<void> {
    let data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (fault?.name === 'malformed') data = Buffer.concat([data.subarray(0, Math.floor(data.length / 2)), Buffer.from('\u0000{"truncated":')]);
    this.writeHead(status, { 'content-length': String(data.length), ...headers });
    if (fault?.name === 'stall_mid_stream' || fault?.name === 'reset_mid_stream') {
      const half = Math.floor(data.length / 2);
      if (!(await this.write(data.subarray(0, half)))) return;
      if (fault.name === 'reset_mid_stream') return this.dropAfterFlush();
      if (!(await this.stall(fault.ms))) return;
      data = data.subarray(half);
    }
    if (fault?.name === 'slow_body') {
      const step = 64;
      for (let offset = 0; offset < data.length; offset += step) {
        if (!(await this.write(data.subarray(offset, offset + step)))) return;
        if (offset + step < data.length && !(await this.sleep(fault.ms ?? 20))) return;
      }
      return this.end();
    }
    if (await this.write(data)) this.end();
  }

  async sendJson(status: number, value: unknown, fault?: ActiveFault, headers: Record<string, string> = {}): Promise<void> {
    await this.send(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value), fault);
  }

  async sendError(error: SimulatedApiError): Promise<void> {
    const body: ErrorBody = error.body(this.requestId);
    await this.sendJson(error.status, body, undefined, error.headers);
  }
}
