/** Labels put on every container dh-mcp creates; the sweep only ever touches containers carrying them. */
export const LABELS = {
  instance: 'dh-mcp.instance',
  session: 'dh-mcp.session',
  created: 'dh-mcp.created',
  ownerPid: 'dh-mcp.owner-pid',
  ownerStart: 'dh-mcp.owner-start',
  ownerHost: 'dh-mcp.owner-host',
  /** Detached workers (dh-mcp worker start) have no owner process, only an expiry. */
  expires: 'dh-mcp.expires',
  /** The worker kind (driver) that started the container, so only that driver ever judges it. */
  kind: 'dh-mcp.kind',
} as const;
