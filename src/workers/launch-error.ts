import { WorkerFailedError } from '../util/errors.js';

/** A worker could not be started; the message says why and carries the worker's last output. */
export class LaunchError extends WorkerFailedError {
  override name = 'LaunchError';
  constructor(
    message: string,
    readonly logTail: string[] = [],
    /** The worker could not bind its port (someone took it after we picked it): a retry may succeed. */
    readonly portTaken = false,
  ) {
    super(
      logTail.length
        ? `${message}\nLast worker output:\n${logTail.map((l) => `  ${l}`).join('\n')}`
        : message,
    );
  }
}
