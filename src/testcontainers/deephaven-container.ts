import { AbstractStartedContainer, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { generateToken } from '../creation/tokens.js';
import { defaultImage } from '../util/paths.js';
import { createDockerClient } from '../workers/docker-client.js';
import { speaksDhWorker } from '../workers/drivers/index.js';
import { plainContainerRecipe } from '../workers/drivers/plain-image/index.js';
import { workerEnvironment } from '../workers/drivers/shared/dh-worker-protocol.js';
import { ensureImage } from '../workers/image-pull.js';

const WORKER_PORT = 10000;

/**
 * A testcontainers module for Deephaven workers: dh-mcp's worker images (scripts/build-images.sh) and plain
 * Deephaven images (ghcr.io/deephaven/server, server-slim, or one built FROM them), told apart by the image's
 * labels as the MCP server does, and configured by the same driver code. PSK with a generated token by default;
 * ready on the worker's own ready line (the server is serving, not merely a port open).
 *
 *     const dh = await new DeephavenContainer('ghcr.io/deephaven/server:42.7').withHeapGb(1).start();
 *     dh.getUrl(); dh.getPsk();
 *     await dh.stop();
 *
 * A missing image is pulled first. For a dh-mcp image the PSK reaches the container as DH_WORKER_PSK
 * (testcontainers has no stdin channel), which the worker removes from its environment at once; it stays
 * visible in `docker inspect`, acceptable for test containers. A plain image gets it in a bootstrap properties
 * file, as the server's workers do.
 */
export class DeephavenContainer extends GenericContainer {
  private psk: string | undefined = generateToken();
  private heapGb = 1;
  private jvmArgs: string[] = [];
  private language: 'python' | 'groovy' | undefined;

  constructor(image: string = defaultImage('Python')) {
    super(image);
    this.withExposedPorts(WORKER_PORT).withStartupTimeout(120_000);
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

  /** A Groovy console instead of the image's default. */
  withGroovy(): this {
    this.language = 'groovy';
    return this;
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
    const docker = createDockerClient();
    const image = this.imageName.string;
    await ensureImage(docker, image, { policy: 'missing' });
    const config = (await docker.getImage(image).inspect()).Config;
    const auth = this.psk ? 'PSK' : 'ANONYMOUS';
    if (speaksDhWorker(config?.Labels)) {
      this.withEnvironment({
        ...workerEnvironment({
          auth,
          language: this.language,
          heapSizeGb: this.heapGb,
          extraJvmArgs: this.jvmArgs,
          environment: {},
          exitWithOwner: false,
        }),
        ...(this.psk ? { DH_WORKER_PSK: this.psk } : {}),
      }).withWaitStrategy(Wait.forLogMessage(/DH-WORKER \{"event":"ready"/));
    } else {
      const recipe = plainContainerRecipe({
        auth,
        token: this.psk,
        language: this.language,
        heapSizeGb: this.heapGb,
        extraJvmArgs: this.jvmArgs,
        environment: {},
        imageHasOwnCmd: (config?.Cmd ?? []).length > 0,
      });
      this.withEnvironment(recipe.env)
        .withCopyContentToContainer(
          recipe.files.map((f) => ({ content: f.content, target: `${f.dir}/${f.name}`, mode: 0o600 })),
        )
        .withWaitStrategy(Wait.forLogMessage(recipe.ready));
      if (recipe.cmd) this.withCommand(recipe.cmd);
    }
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
