import type { ToolExtra } from './tool-kit.js';

/**
 * MCP progress notifications for a long call, sent only when the caller asked for them with a progress token.
 * Clients that reset their request timeout on progress then wait as long as a worker needs to boot.
 */
export function progressReporter(extra: ToolExtra): ((message: string) => void) | undefined {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let progress = 0;
  return (message: string) => {
    progress += 1;
    extra
      .sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } })
      .catch(() => undefined); // the client went away; the call itself reports what happened
  };
}
