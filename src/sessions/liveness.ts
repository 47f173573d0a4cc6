import {
  AuthenticationError,
  SessionConfigurationError,
  WorkerUnreachableError,
  TimeoutError,
  errorMessage,
} from '../util/errors.js';

export const LIVENESS_STATUSES = ['ONLINE', 'OFFLINE', 'UNAUTHORIZED', 'MISCONFIGURED', 'UNKNOWN'] as const;
export type LivenessStatus = (typeof LIVENESS_STATUSES)[number];

export interface Liveness {
  status: LivenessStatus;
  detail?: string;
}

/** Maps a connection failure onto the reference's liveness vocabulary. */
export function classifyFailure(e: unknown): Liveness {
  const detail = errorMessage(e);
  if (e instanceof AuthenticationError) return { status: 'UNAUTHORIZED', detail };
  if (e instanceof SessionConfigurationError) return { status: 'MISCONFIGURED', detail };
  if (e instanceof WorkerUnreachableError || e instanceof TimeoutError) return { status: 'OFFLINE', detail };
  return { status: 'UNKNOWN', detail };
}
