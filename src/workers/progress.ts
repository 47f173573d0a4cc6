/** A measurable step of a long operation (bytes of a pull), for clients that show progress bars. */
export interface ProgressDetail {
  progress: number;
  total?: number;
}

/** Progress of a worker start: a message for people, and numbers when the step has them. */
export type ProgressFn = (message: string, detail?: ProgressDetail) => void;
