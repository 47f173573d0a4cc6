/**
 * The phases of a worker start, in the order they happen. A start reports only the ones it goes through: a
 * python worker has no pull, a warm pool's worker only its claim.
 * - `pool_claim`: a ready worker is taken from the warm pool;
 * - `pull`: the Docker image is downloaded (these carry byte counts);
 * - `start`: the process or container is launched and boots (repeated every second while it does);
 * - `ready`: the worker reported ready (its own signal);
 * - `login`: a real login proves it serves clients with the session's credentials.
 */
export const START_PHASES = ['pool_claim', 'pull', 'start', 'ready', 'login'] as const;
export type StartPhase = (typeof START_PHASES)[number];

/** A measurable step of a long operation (bytes of a pull), for clients that show progress bars. */
export interface ProgressDetail {
  progress: number;
  total?: number;
}

/** One progress report of a worker start: its phase, a line for people, and numbers when the step has them. */
export interface ProgressEvent {
  phase: StartPhase;
  text: string;
  detail?: ProgressDetail;
}

export type ProgressFn = (event: ProgressEvent) => void;

/** A reporter bound to one phase, for code that reports only that phase (a driver's boot, a pull). */
export type PhaseReporter = (text: string, detail?: ProgressDetail) => void;

export function phaseReporter(
  onProgress: ProgressFn | undefined,
  phase: StartPhase,
): PhaseReporter | undefined {
  return onProgress && ((text, detail) => onProgress({ phase, text, ...(detail ? { detail } : {}) }));
}

/** How an event reads in an MCP progress notification's `message` and on the CLI: `<phase>: <text>`. */
export function progressMessage(e: Pick<ProgressEvent, 'phase' | 'text'>): string {
  return `${e.phase}: ${e.text}`;
}

/** The phase a progress message names (the inverse of progressMessage), or undefined for any other text. */
export function phaseOf(message: string | undefined): StartPhase | undefined {
  const head = message?.slice(0, message.indexOf(':'));
  return START_PHASES.find((p) => p === head);
}

/** Whether phases arrive in START_PHASES order (a phase may repeat; none comes back after a later one). */
export function inPhaseOrder(phases: readonly StartPhase[]): boolean {
  return phases.every((p, i) => i === 0 || START_PHASES.indexOf(p) >= START_PHASES.indexOf(phases[i - 1]!));
}
