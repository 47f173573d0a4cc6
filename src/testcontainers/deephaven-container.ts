import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { heapArg } from '../workers/drivers/shared/dh-worker-protocol.js';
import { generateToken } from '../creation/tokens.js';
import { defaultImage } from '../util/paths.js';

const WORKER_PORT = 10000;

/**
 * A testcontainers module for the dh-mcp worker images (scripts/build-images.sh). PSK with a generated token by
 * default; ready when the worker prints its own ready line (the server is serving, not merely a port open).
 *
 *     const dh = await new DeephavenContainer().withHeapGb(1).start();
 *     dh.getUrl(); dh.getPsk();
 *     await dh.stop();
 *
 * The PSK reaches the container as DH_WORKER_PSK (testcontainers has no stdin channel), which the worker removes
 * from its environment at once; it stays visible in `docker inspect`, acceptable for test containers.
 */
export class DeephavenContainer extends GenericContainer {
  private psk: string | undefined = generateToken();
  private heapGb = 1;
  private jvmArgs: string[] = [];

  constructor(image: string = defaultImage('Python')) {
    super(image);
    this.withExposedPorts(WORKER_PORT)
      .withWaitStrategy(Wait.forLogMessage(/DH-WORKER \{"event":"ready"/))
      .withStartupTimeout(120_000);
  }

  /** Use this PSK instead of a generated one. */
  withPsk(token: string): this {
    this.psk = token;
    return this;
  }

  /** No authentication at all (loopback-only test workers). */
  withAnonymous(): this {
    this.psk = undefined;
    return this;
  }

  /** A Groovy console instead of Python. */
  withGroovy(): this {
    return this.withEnvironment({ DH_WORKER_CONSOLE: 'groovy' });
  }

  withHeapGb(gb: number): this {
    this.heapGb = gb;
    return this;
  }

  withJvmArgs(...args: string[]): this {
    this.jvmArgs.push(...args);
    return this;
  }

  override async start(): Promise<StartedDeephavenContainer> {
    this.withEnvironment({
      DH_WORKER_AUTH: this.psk ? 'psk' : 'anonymous',
      DH_WORKER_JVM_ARGS: JSON.stringify([
        heapArg(this.heapGb),
        '-Dshutdown.timeoutMs=1000',
        ...this.jvmArgs,
      ]),
      ...(this.psk ? { DH_WORKER_PSK: this.psk } : {}),
    });
    return new StartedDeephavenContainer(await super.start(), this.psk);
  }
}

export class StartedDeephavenContainer extends AbstractStartedContainer {
  constructor(
    started: StartedTestContainer,
    private readonly psk: string | undefined,
  ) {
    super(started);
  }

  getPort(): number {
    return this.getMappedPort(WORKER_PORT);
  }

  /** `http://<host>:<port>` of the worker. */
  getUrl(): string {
    return `http://${this.getHost()}:${this.getPort()}`;
  }

  /** The PSK, or undefined for an anonymous worker. */
  getPsk(): string | undefined {
    return this.psk;
  }

  getAuthType(): 'PSK' | 'ANONYMOUS' {
    return this.psk ? 'PSK' : 'ANONYMOUS';
  }
}
