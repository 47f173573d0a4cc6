import net from 'node:net';
import { WorkerUnreachableError } from '../util/errors.js';

/**
 * A cheap look before the (much slower) JS API handshake: if nothing listens at host:port the answer is
 * immediate instead of a transport retrying until its timeout. A probe that gets no answer in time decides
 * nothing; the real connection keeps its own deadline.
 */
export function probeTcp(host: string, port: number, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (e?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (e) reject(e);
      else resolve();
    };
    const timer = setTimeout(() => done(), timeoutMs);
    timer.unref();
    socket.once('connect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done(
        new WorkerUnreachableError(
          `connection failed: nothing answers at ${host}:${port} (${e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message)}); is the worker running there?`,
        ),
      ),
    );
  });
}
