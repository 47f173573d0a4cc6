import { progressMessage, type ProgressFn } from '../workers/progress.js';
import type { ToolExtra } from './tool-kit.js';

/**
 * MCP progress notifications for a long call, sent only when the caller asked for them with a progress token.
 * Clients that reset their request timeout on progress then wait as long as a worker needs to boot (or an
 * image to download). The `message` names the phase (`pull: …`, `start: …`, src/workers/progress.ts);
 * `progress` always grows: the bytes of a pull when there are any, else a step count.
 */
export function progressReporter(extra: ToolExtra): ProgressFn | undefined {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let progress = 0;
  return (event) => {
    const { detail } = event;
    progress = detail ? Math.max(detail.progress, progress + 1) : progress + 1;
    const total = detail?.total !== undefined && detail.total >= progress ? detail.total : undefined;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          ...(total !== undefined ? { total } : {}),
          message: progressMessage(event),
        },
      })
      .catch(() => undefined); // the client went away; the call itself reports what happened
  };
}
