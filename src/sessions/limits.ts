/** Time and size limits of worker operations, each overridable through the environment (read at each use). */

function seconds(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : fallback * 1000;
}

/** Bound on loading the JS API, the handshake and the login: DH_MCP_SESSION_CONNECT_TIMEOUT_SECONDS, default 30. */
export const connectTimeoutMs = (): number => seconds('DH_MCP_SESSION_CONNECT_TIMEOUT_SECONDS', 30);
/** Bound on one read (listing, schema, a data chunk): DH_MCP_OPERATION_TIMEOUT_SECONDS, default 60. */
export const operationTimeoutMs = (): number => seconds('DH_MCP_OPERATION_TIMEOUT_SECONDS', 60);
/** Bound on one script: DH_MCP_SCRIPT_TIMEOUT_SECONDS, default 300. */
export const scriptTimeoutMs = (): number => seconds('DH_MCP_SCRIPT_TIMEOUT_SECONDS', 300);
/** Size cap of one session_table_data answer, in characters of its JSON text: DH_MCP_MAX_RESPONSE_CHARS, default 200000. */
export const maxResponseChars = (): number => {
  const v = Number(process.env.DH_MCP_MAX_RESPONSE_CHARS);
  return Number.isInteger(v) && v > 0 ? v : 200_000;
};
