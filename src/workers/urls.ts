/**
 * The one URL policy for local workers. Workers listen on (or are published to) IPv4 loopback only, so programs
 * connect to the literal 127.0.0.1 (a client that tries ::1 first would otherwise fail); people are shown
 * `localhost`, which every browser resolves to loopback and which reads as "this machine".
 */
export const LOOPBACK_HOST = '127.0.0.1';

/** The URL clients connect to (session connections, DH_URL of the CLI, launchWorker().url). */
export function connectUrl(port: number): string {
  return `http://${LOOPBACK_HOST}:${port}`;
}

/** The URL shown to a person (session_details, create answers, the browser-access banner). */
export function browserUrl(port: number): string {
  return `http://localhost:${port}`;
}
