import * as grpc from '@grpc/grpc-js';
import type { AuthType } from '../../config/auth-type.js';
import { PSK_HANDLER, loginType } from '../../config/auth-type.js';
import type { TlsMaterial } from '../jsapi-loader.js';
import { AuthenticationError, SessionConfigurationError, WorkerUnreachableError } from '../../util/errors.js';
import { logger } from '../../util/logger.js';
import {
  method,
  type ConfigurationConstantsResponse,
  type ExportedTableCreationResponse,
  type MethodDef,
} from './protos.js';

export interface FlightEndpoint {
  /** host:port of the worker's gRPC (HTTP/2) port, the same port as the web UI. */
  address: string;
  useTls: boolean;
  tls?: TlsMaterial;
  auth: AuthType;
  /** PSK, "user:password" for Basic, or a custom handler's token. Never logged. */
  token?: string;
}

/** A raw byte stream of FlightData messages (decoded by the caller). */
export type FlightDataStream = grpc.ClientReadableStream<Buffer>;

const FLIGHT_DO_GET = '/arrow.flight.protocol.FlightService/DoGet';
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/**
 * One gRPC channel and one Deephaven session on a worker, for table operations and Arrow Flight reads. It
 * authenticates the way Deephaven's own clients do: the first call carries `authorization: <handler> <token>`, the
 * worker answers with `authorization: Bearer <session token>`, and every later call carries the newest bearer
 * value the worker sent. The session is kept alive by refreshing before half its lifetime has passed, and
 * re-established once if the worker forgot it (a restart, an expiry).
 */
export class FlightSession {
  private readonly client: grpc.Client;
  private bearer: string | undefined;
  private refreshedAt = 0;
  private sessionMs = 5 * 60_000;
  private nextExport = 0;
  private handshaking: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly endpoint: FlightEndpoint) {
    const creds = endpoint.useTls
      ? grpc.credentials.createSsl(
          endpoint.tls?.ca ?? null,
          endpoint.tls?.key ?? null,
          endpoint.tls?.cert ?? null,
        )
      : grpc.credentials.createInsecure();
    this.client = new grpc.Client(endpoint.address, creds, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // One channel per worker: never share sub-channels with another session's client.
      'grpc.use_local_subchannel_pool': 1,
      // HTTP/2 flow control: Node's default 64 KiB window makes the worker wait for a window update every 64 KiB
      // of a DoGet; a larger window lets it stream (it bounds what may arrive past a size cap, too).
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    });
  }

  /** A fresh export ticket of this session: `e` + a 32-bit little-endian number. */
  newExportTicket(): Buffer {
    this.nextExport += 1;
    const b = Buffer.alloc(5);
    b.write('e', 0, 'ascii');
    b.writeInt32LE(this.nextExport, 1);
    return b;
  }

  /** Ensures a live session: handshakes on first use, refreshes an ageing token. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error('the Flight session is closed');
    const age = Date.now() - this.refreshedAt;
    if (this.bearer && age < this.sessionMs / 2) return;
    this.handshaking ??= this.handshake(timeoutMs).finally(() => (this.handshaking = undefined));
    return this.handshaking;
  }

  private initialAuthorization(): string {
    const { auth, token } = this.endpoint;
    switch (auth) {
      case 'ANONYMOUS':
        return 'Anonymous';
      case 'PSK':
        if (!token)
          throw new SessionConfigurationError(
            'auth_type PSK needs a token; set auth_token or auth_token_env_var',
          );
        return `${PSK_HANDLER} ${token}`;
      case 'BASIC':
        if (!token?.includes(':'))
          throw new SessionConfigurationError('auth_type Basic needs auth_token in the form "user:password"');
        return `Basic ${Buffer.from(token, 'utf8').toString('base64')}`;
      default:
        return `${loginType(auth)} ${token ?? ''}`;
    }
  }

  /**
   * GetConfigurationConstants with the current bearer (a refresh) or, without one or when the worker refuses it,
   * with the credentials (a new session). The worker's answer headers carry the bearer to use from then on.
   */
  private async handshake(timeoutMs: number): Promise<void> {
    const call = async (authorization: string): Promise<ConfigurationConstantsResponse> =>
      this.unaryWith<ConfigurationConstantsResponse>(
        method('ConfigService', 'GetConfigurationConstants'),
        {},
        authorization,
        timeoutMs,
      );
    let constants: ConfigurationConstantsResponse | undefined;
    if (this.bearer) {
      constants = await call(this.bearer).catch((e: unknown) => {
        if (isStatus(e, grpc.status.UNAUTHENTICATED)) {
          this.bearer = undefined;
          return undefined;
        }
        throw e;
      });
    }
    if (!constants) {
      this.nextExport = 0;
      try {
        constants = await call(this.initialAuthorization());
      } catch (e) {
        if (isStatus(e, grpc.status.UNAUTHENTICATED) || isStatus(e, grpc.status.PERMISSION_DENIED))
          throw new AuthenticationError(
            `the worker at ${this.endpoint.address} rejected the credentials on its Flight port`,
          );
        throw e;
      }
      if (!this.bearer)
        throw new WorkerUnreachableError(
          `the worker at ${this.endpoint.address} did not return a session token over gRPC`,
        );
    }
    const ms = Number(constants.config_values['http.session.durationMs']?.string_value);
    if (Number.isFinite(ms) && ms > 0) this.sessionMs = ms;
    this.refreshedAt = Date.now();
  }

  private rememberBearer(md: grpc.Metadata): void {
    const v = md.get('authorization')[0];
    const s = typeof v === 'string' ? v : v?.toString('ascii');
    if (s?.startsWith('Bearer ')) {
      this.bearer = s;
      this.refreshedAt = Date.now();
    }
  }

  private metadata(authorization?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    const a = authorization ?? this.bearer;
    if (a) md.set('authorization', a);
    return md;
  }

  private unaryWith<T>(
    m: MethodDef,
    request: object,
    authorization: string | undefined,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        this.metadata(authorization),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err ? reject(err) : resolve(value as T)),
      );
      call.on('metadata', (md) => this.rememberBearer(md));
    });
  }

  /** A unary call with the session's bearer; retried once on a fresh session if the worker forgot ours. */
  async unary<T>(m: MethodDef, request: object, timeoutMs: number): Promise<T> {
    await this.ready(timeoutMs);
    try {
      return await this.unaryWith<T>(m, request, undefined, timeoutMs);
    } catch (e) {
      if (!isStatus(e, grpc.status.UNAUTHENTICATED)) throw e;
      this.bearer = undefined;
      await this.ready(timeoutMs);
      return this.unaryWith<T>(m, request, undefined, timeoutMs);
    }
  }

  /** TableService.Batch: every answer of the stream (one per exported or failed operation). */
  async batch(ops: object[], timeoutMs: number): Promise<ExportedTableCreationResponse[]> {
    await this.ready(timeoutMs);
    const m = method('TableService', 'Batch');
    return new Promise((resolve, reject) => {
      const out: ExportedTableCreationResponse[] = [];
      const call = this.client.makeServerStreamRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        { ops },
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
      );
      call.on('metadata', (md) => this.rememberBearer(md));
      call.on('data', (r: ExportedTableCreationResponse) => out.push(r));
      call.on('error', reject);
      call.on('end', () => resolve(out));
    });
  }

  /** Flight DoGet on a ticket: the raw FlightData messages, as a readable stream the caller may cancel. */
  async doGet(ticket: Buffer, timeoutMs: number): Promise<FlightDataStream> {
    await this.ready(timeoutMs);
    const call = this.client.makeServerStreamRequest<Buffer, Buffer>(
      FLIGHT_DO_GET,
      encodeFlightTicket,
      (b: Buffer) => b,
      ticket,
      this.metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    call.on('metadata', (md) => this.rememberBearer(md));
    return call;
  }

  /** Releases export tickets; best effort (the worker releases them with the session anyway). */
  async release(tickets: Buffer[], timeoutMs = 10_000): Promise<void> {
    if (this.closed || !this.bearer) return;
    const m = method('SessionService', 'Release');
    await Promise.all(
      tickets.map((t) =>
        this.unaryWith(m, { id: { ticket: t } }, undefined, timeoutMs).catch((e: unknown) =>
          logger.debug({ err: String(e) }, 'releasing an export ticket failed (ignored)'),
        ),
      ),
    );
  }

  /** Closes the Deephaven session (its exports go with it) and the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.bearer) {
      await this.unaryWith(method('SessionService', 'CloseSession'), {}, undefined, 2_000).catch(
        () => undefined,
      );
    }
    this.bearer = undefined;
    this.client.close();
  }
}

export function isStatus(e: unknown, code: grpc.status): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** The details text of a gRPC error, without the "<code> <NAME>: " prefix grpc-js adds. */
export function grpcDetails(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { details?: unknown }).details === 'string')
    return (e as { details: string }).details;
  return e instanceof Error ? e.message : String(e);
}

/** arrow.flight.protocol.Ticket { bytes ticket = 1; } */
function encodeFlightTicket(ticket: Buffer): Buffer {
  const len = varint(ticket.length);
  return Buffer.concat([Buffer.from([0x0a]), len, ticket]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
