import { NodeHttp2gRPCTransport } from '@deephaven/jsapi-nodejs';
import type { dh as DhType } from '@deephaven/jsapi-types';
import type { SecureClientSessionOptions } from 'node:http2';
import {
  ANONYMOUS_HANDLER,
  PSK_HANDLER,
  type AuthType,
  authTypeLabel,
  loginType,
} from '../config/auth-type.js';
import {
  AuthenticationError,
  SessionConfigurationError,
  WorkerUnreachableError,
  errorMessage,
} from '../util/errors.js';
import { logger } from '../util/logger.js';
import { withTimeout } from '../util/timeout.js';
import { FlightSession, type FlightEndpoint } from './flight/flight-session.js';
import { loadJsApi, type Dh, type TlsMaterial } from './jsapi-loader.js';

export interface ConnectOptions {
  /** e.g. http://127.0.0.1:10000 (no trailing slash needed). */
  url: string;
  auth: AuthType;
  /** PSK, "user:password" for Basic, or a custom handler's token. Never logged. */
  token?: string;
  tls?: TlsMaterial;
  /** Bounds loading the API, the handshake and the login together. */
  timeoutMs?: number;
  /** The worker's Deephaven version, when it is already known: lets a cached JS API be used directly. */
  knownVersion?: string;
}

/** What we learn about a worker at login without running anything in its scope. */
export interface WorkerInfo {
  consoleType: string | undefined;
  deephavenVersion: string | undefined;
  pythonVersion: string | undefined;
  groovyVersion: string | undefined;
  javaVersion: string | undefined;
  authHandlers: string[];
}

/**
 * One authenticated connection to a Community worker: the JS API for the console, the variable stream and
 * liveness, and one gRPC channel for table operations and Arrow Flight reads (opened on first use). It marks itself
 * broken when the transport reports a disconnect, so the owner can reconnect on the next call instead of reusing
 * a dead connection.
 */
export class WorkerConnection {
  private broken = false;
  private closed = false;
  private consoleSession: Promise<DhType.IdeSession> | undefined;
  private flightSession: FlightSession | undefined;

  constructor(
    readonly dh: Dh,
    readonly client: DhType.CoreClient,
    readonly ide: DhType.IdeConnection,
    readonly info: WorkerInfo,
    readonly url: string,
    private readonly flightEndpoint?: FlightEndpoint,
  ) {
    // We reconnect lazily on the next call; the API's own endless background retries would only add noise.
    const markBroken = (why: string) => () => {
      if (this.closed || this.broken) return;
      logger.info({ url }, `connection to worker lost (${why})`);
      this.broken = true;
      void this.flightSession?.close();
      setImmediate(() => safeDisconnect(client));
    };
    client.addEventListener(dh.CoreClient.EVENT_DISCONNECT, markBroken('disconnect'));
    client.addEventListener(
      dh.CoreClient.EVENT_RECONNECT_AUTH_FAILED,
      markBroken('re-authentication failed'),
    );
    ide.addEventListener(dh.IdeConnection.EVENT_SHUTDOWN, markBroken('worker shut down'));
  }

  /** Called when an operation failed in a way that suggests the connection is dead: the next use reconnects. */
  markBroken(why: string): void {
    if (this.closed || this.broken) return;
    logger.info({ url: this.url, why }, 'dropping the worker connection; the next call reconnects');
    this.broken = true;
    void this.flightSession?.close();
    setImmediate(() => safeDisconnect(this.client));
  }

  get usable(): boolean {
    return !this.broken && !this.closed;
  }

  /** The data plane: one gRPC channel and Deephaven session on the worker, shared by every read. */
  flight(): FlightSession {
    if (!this.usable) throw new Error('the connection to the worker is closed');
    if (!this.flightEndpoint) throw new Error('this connection has no Flight endpoint');
    this.flightSession ??= new FlightSession(this.flightEndpoint);
    return this.flightSession;
  }

  /** The console session, started once per connection in the worker's own language. */
  console(): Promise<DhType.IdeSession> {
    if (!this.consoleSession) {
      const type = this.info.consoleType;
      if (!type) return Promise.reject(new Error('the worker has no script console enabled'));
      this.consoleSession = this.ide.startSession(type);
      this.consoleSession.catch(() => (this.consoleSession = undefined));
    }
    return this.consoleSession;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.consoleSession) (await this.consoleSession.catch(() => undefined))?.close();
    } catch {
      // The worker may be gone already.
    }
    await this.flightSession?.close();
    safeDisconnect(this.client);
  }
}

/** After a failed login the API's disconnect() can throw; it must still be called to stop its retries. */
function safeDisconnect(client: DhType.CoreClient): void {
  try {
    client.disconnect();
  } catch (e) {
    logger.debug({ err: errorMessage(e) }, 'disconnect after failed login threw (ignored)');
  }
}

function tlsSessionOptions(tls: TlsMaterial | undefined): SecureClientSessionOptions | undefined {
  if (!tls) return undefined;
  return { ca: tls.ca, cert: tls.cert, key: tls.key };
}

function credentials(dh: Dh, auth: AuthType, token: string | undefined): DhType.LoginCredentials {
  switch (auth) {
    case 'ANONYMOUS':
      return { type: dh.CoreClient.LOGIN_TYPE_ANONYMOUS };
    case 'PSK':
      if (!token)
        throw new SessionConfigurationError(
          'auth_type PSK needs a token; set auth_token or auth_token_env_var',
        );
      return { type: PSK_HANDLER, token };
    case 'BASIC': {
      const i = token?.indexOf(':') ?? -1;
      if (!token || i < 0)
        throw new SessionConfigurationError('auth_type Basic needs auth_token in the form "user:password"');
      return {
        type: dh.CoreClient.LOGIN_TYPE_PASSWORD,
        username: token.slice(0, i),
        token: token.slice(i + 1),
      };
    }
    default:
      return { type: loginType(auth), token: token ?? '' };
  }
}

function handlerFor(auth: AuthType): string | undefined {
  if (auth === 'PSK') return PSK_HANDLER;
  if (auth === 'ANONYMOUS') return ANONYMOUS_HANDLER;
  return undefined;
}

function toPairs(values: unknown): [string, string][] {
  // GWT arrays are array-likes with extra fields: copy the elements out.
  return Array.from(values as ArrayLike<ArrayLike<string>>, (p) => [String(p[0]), String(p[1])]);
}

export async function connectWorker(opts: ConnectOptions): Promise<WorkerConnection> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const url = opts.url.replace(/\/+$/, '');
  const dh = await loadJsApi(url, { tls: opts.tls, timeoutMs: left(), knownVersion: opts.knownVersion });
  const creds = credentials(dh, opts.auth, opts.token);
  const transportFactory = NodeHttp2gRPCTransport.createFactory({
    sessionOptions: tlsSessionOptions(opts.tls),
  });
  const client = new dh.CoreClient(url, { transportFactory });
  let handlers: string[];
  try {
    const cfg = toPairs(await withTimeout(client.getAuthConfigValues(), left(), `handshake with ${url}`));
    handlers = cfg
      .filter(([k]) => k === 'AuthHandlers')
      .flatMap(([, v]) => v.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  } catch (e) {
    safeDisconnect(client);
    throw new WorkerUnreachableError(
      `connection failed: ${url} did not answer the Deephaven handshake (${errorMessage(e)})`,
    );
  }
  const wanted = handlerFor(opts.auth);
  if (wanted && handlers.length && !handlers.includes(wanted)) {
    safeDisconnect(client);
    throw new AuthenticationError(
      `the worker at ${url} does not accept ${authTypeLabel(opts.auth)} logins; it accepts: ${handlers.join(', ')}`,
    );
  }
  try {
    await withTimeout(client.login(creds), left(), `login to ${url}`);
  } catch {
    safeDisconnect(client);
    // The handshake worked, so a rejected login means the credentials were refused.
    throw new AuthenticationError(
      `the worker at ${url} rejected the ${authTypeLabel(opts.auth)} credentials`,
    );
  }
  try {
    // Independent round trips, in parallel: this is on the path of every session_community_create.
    const [ide, configValues] = await Promise.all([
      withTimeout(client.getAsIdeConnection(), left(), 'opening the IDE connection'),
      withTimeout(client.getServerConfigValues(), left(), 'reading server configuration'),
    ]);
    const config = new Map(toPairs(configValues));
    const consoleTypes = Array.from(
      await withTimeout(ide.getConsoleTypes(), left(), 'reading console types'),
    );
    return new WorkerConnection(
      dh,
      client,
      ide,
      {
        consoleType: consoleTypes[0],
        deephavenVersion: config.get('deephaven.version'),
        pythonVersion: config.get('python.version'),
        groovyVersion: config.get('groovy.version'),
        javaVersion: config.get('java.version'),
        authHandlers: handlers,
      },
      url,
      {
        address: grpcAddress(url),
        useTls: url.startsWith('https:'),
        tls: opts.tls,
        auth: opts.auth,
        token: opts.token,
      },
    );
  } catch (e) {
    safeDisconnect(client);
    throw new WorkerUnreachableError(`connection failed after login to ${url}: ${errorMessage(e)}`);
  }
}

/** Closes every HTTP/2 session of every connection: call once, at process shutdown. */
export async function disposeTransports(): Promise<void> {
  // Let CloseSession RPCs of just-closed connections go out first.
  // Referenced on purpose: in a process with nothing else left to do, an unreferenced timer would end it here.
  await new Promise((r) => setTimeout(r, 150));
  NodeHttp2gRPCTransport.dispose();
}

/** host:port for gRPC (the URL omits default ports; gRPC would otherwise assume 443). */
function grpcAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
