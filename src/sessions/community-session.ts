import { readFile } from 'node:fs/promises';
import { authTypeLabel, type AuthType } from '../config/auth-type.js';
import { NotFoundError, SessionConfigurationError, WorkerFailedError, errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { connectWorker, type WorkerConnection } from '../deephaven/worker-connection.js';
import type { TlsMaterial } from '../deephaven/jsapi-loader.js';
import { connectTimeoutMs } from './limits.js';
import { classifyFailure, type Liveness } from './liveness.js';
import { makeSessionId, type SessionSource } from './session-id.js';
import { probeTcp } from './tcp-probe.js';

/** How to reach a worker; resolved at connect time so a rotated env-var token is picked up. */
export interface Endpoint {
  host: string;
  port: number;
  useTls: boolean;
  auth: AuthType;
  /** Resolves the token at the moment of connecting (literal, env var, or generated). */
  token: () => string | undefined;
  tlsFiles?: { ca?: string | null; cert?: string | null; key?: string | null };
  /** The worker's Deephaven version when known before connecting (workers dh-mcp started report it). */
  knownVersion?: string;
}

export interface SessionCredentials {
  auth_type: string;
  auth_token: string;
  connection_url: string;
  connection_url_with_auth: string;
}

/**
 * A Community worker the server can talk to, static (from config) or dynamic (created by a tool). Holds at
 * most one connection, opened on first use, shared by concurrent callers, and replaced when it breaks.
 */
export class CommunitySession {
  readonly id: string;
  private current: Promise<WorkerConnection> | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    readonly source: SessionSource,
    readonly endpoint: Endpoint,
    /** What the config says the language is, until the worker tells us. */
    readonly configuredLanguage?: string,
  ) {
    this.id = makeSessionId('community', source, name);
  }

  get url(): string {
    return `${this.endpoint.useTls ? 'https' : 'http'}://${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** The URL reported to users (a browser opens it); the same as `url` unless a subclass says otherwise. */
  get publicUrl(): string {
    return this.url;
  }

  /**
   * What a person or a client needs to connect: the public URL, the token resolved now (an env-var token is
   * read at this moment; an unset variable is an error naming it).
   */
  credentials(): SessionCredentials {
    const token = this.endpoint.auth === 'PSK' ? (this.endpoint.token() ?? '') : '';
    const url = this.publicUrl;
    return {
      auth_type: authTypeLabel(this.endpoint.auth),
      auth_token: token,
      connection_url: url,
      connection_url_with_auth: token ? `${url}/?psk=${encodeURIComponent(token)}` : url,
    };
  }

  /**
   * A caller addressed this session (a tool call or a resource read looked it up). Created workers count it
   * against their idle timeout; other sessions ignore it.
   */
  touch(): void {}

  /**
   * An operation is using the worker until the returned function is called: a created worker's idle timeout
   * does not run out meanwhile. Other sessions ignore it.
   */
  beginUse(): () => void {
    return () => undefined;
  }

  /**
   * Why the worker behind this session is known to be gone (a created worker whose process or container
   * ended), or undefined when it may be running. Cheap: no network traffic to the worker.
   */
  async goneReason(): Promise<string | undefined> {
    return undefined;
  }

  /**
   * The live connection: opened on first use, shared by concurrent callers, re-opened once it broke. A worker
   * known to be gone fails at once with the reason, instead of a connection attempt that runs into a timeout.
   */
  async connection(): Promise<WorkerConnection> {
    await this.checkAlive();
    for (;;) {
      if (this.closed) throw new NotFoundError(`session '${this.id}' was closed (deleted or reloaded)`);
      const pending = this.current;
      if (!pending) {
        const attempt = this.open();
        this.current = attempt;
        attempt.catch(() => {
          if (this.current === attempt) this.current = undefined;
        });
        return attempt;
      }
      const c = await pending; // a failed attempt rejects every caller that waited on it
      if (c.usable) return c;
      if (this.current === pending) this.current = undefined;
      await c.close();
    }
  }

  /** Takes over a connection opened elsewhere (the login that proved a created worker ready). */
  protected adoptConnection(c: WorkerConnection): void {
    this.current = Promise.resolve(c);
  }

  /** The connection if one is open and healthy, without any network traffic. */
  async cachedConnection(): Promise<WorkerConnection | undefined> {
    const c = await this.current?.catch(() => undefined);
    return c?.usable ? c : undefined;
  }

  async liveness(attemptToConnect: boolean): Promise<Liveness & { connection?: WorkerConnection }> {
    if (!attemptToConnect) {
      const c = await this.cachedConnection();
      return c
        ? { status: 'ONLINE', connection: c }
        : {
            status: 'UNKNOWN',
            detail: 'not connected yet; call with attempt_to_connect=true to check the worker',
          };
    }
    try {
      const connection = await this.connection();
      return { status: 'ONLINE', connection };
    } catch (e) {
      return classifyFailure(e);
    }
  }

  /** Throws the dead-worker answer when the worker is known to be gone. */
  async checkAlive(): Promise<void> {
    const gone = await this.goneReason();
    if (!gone) return;
    void this.dropConnection();
    throw new WorkerFailedError(`Session '${this.id}': ${gone}. ${this.goneAdvice()}`);
  }

  /** What the caller can do about a gone worker. */
  protected goneAdvice(): string {
    return 'Delete it with session_community_delete (and create a new one if needed).';
  }

  /** Forgets the current connection (the worker is gone); closing it never throws. */
  private async dropConnection(): Promise<void> {
    const c = await this.current?.catch(() => undefined);
    this.current = undefined;
    await c?.close().catch(() => undefined);
  }

  private async open(): Promise<WorkerConnection> {
    const tls = await this.readTls();
    const started = Date.now();
    await probeTcp(this.endpoint.host, this.endpoint.port);
    const conn = await connectWorker({
      url: this.url,
      auth: this.endpoint.auth,
      token: this.endpoint.token(),
      tls,
      timeoutMs: connectTimeoutMs(),
      knownVersion: this.endpoint.knownVersion,
    });
    logger.info({ session: this.id, ms: Date.now() - started }, 'connected to worker');
    if (this.closed) {
      await conn.close();
      throw new NotFoundError(`session '${this.id}' was closed while connecting`);
    }
    return conn;
  }

  private async readTls(): Promise<TlsMaterial | undefined> {
    const f = this.endpoint.tlsFiles;
    if (!this.endpoint.useTls || !f) return undefined;
    const read = async (p: string | null | undefined, what: string): Promise<Buffer | undefined> => {
      if (!p) return undefined;
      try {
        return await readFile(p);
      } catch (e) {
        throw new SessionConfigurationError(
          `cannot read ${what} file '${p}' of session '${this.id}': ${errorMessage(e)}`,
        );
      }
    };
    return {
      ca: await read(f.ca, 'tls_root_certs'),
      cert: await read(f.cert, 'client_cert_chain'),
      key: await read(f.key, 'client_private_key'),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = await this.current?.catch(() => undefined);
    this.current = undefined;
    await c?.close();
  }
}
