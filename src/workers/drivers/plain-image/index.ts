import type Docker from 'dockerode';
import type { CreatePlan } from '../../params/resolve.js';
import { LaunchError } from '../../launch-error.js';
import { phaseReporter } from '../../progress.js';
import type { LaunchContext, RunningWorker, WorkerDriver } from '../driver.js';
import { attachContainer, launchContainer, sweepContainers } from '../shared/container.js';
import { baseJvmArgs } from '../shared/dh-worker-protocol.js';
import { WorkerOutput, type LineMeaning } from '../shared/worker-output.js';
import { singleFileTar } from './tar.js';
import { trackUntilReady } from '../shared/track-until-ready.js';

const PSK_HANDLER = 'io.deephaven.authentication.psk.PskAuthenticationHandler';
const ANONYMOUS_HANDLER = 'io.deephaven.auth.AnonymousAuthenticationHandler';
/** Where the bootstrap properties file goes (the config directory every Deephaven image has); the start script hands its one argument to JettyMain. */
const BOOTSTRAP_DIR = '/opt/deephaven/config';
const BOOTSTRAP_NAME = 'dh-mcp-bootstrap.prop';
/** The server's own ready line (logger DeephavenApiServer), after the authentication banner. */
const READY = /Server started on port (\d+)/;

/**
 * Containers of a plain Deephaven image: the official ghcr.io/deephaven/server (Python) and server-slim
 * (Groovy), and any image built FROM them (docs/official-images.md). They know nothing of dh-mcp: JVM arguments
 * go through START_OPTS (the image's own JAVA_OPTS stays), readiness is the server's own start-up line, the
 * console language is the image's unless the request names one. The PSK and the authentication handler go
 * into a bootstrap properties file put into the container before it starts (JettyMain loads its one argument
 * as system properties), so they never appear in `docker inspect`; an image that defines its own CMD leaves
 * no room for that file, and then the PSK travels in START_OPTS, which the worker's details say.
 */
export function plainImageDriver(docker: () => Docker): WorkerDriver {
  return {
    kind: 'plain-image',

    async launch(plan: CreatePlan, ctx: LaunchContext): Promise<RunningWorker> {
      ctx.signal.throwIfAborted();
      const booting = phaseReporter(ctx.onProgress, 'start');
      booting?.(`launching docker worker '${plan.name}' (${plan.docker.image})`);
      const image = await docker().getImage(plan.docker.image).inspect();
      const recipe = plainContainerRecipe({ ...plan, imageHasOwnCmd: (image.Config?.Cmd ?? []).length > 0 });
      const worker = await launchContainer(docker(), {
        kind: 'plain-image',
        name: plan.name,
        image: plan.docker.image,
        env: recipe.env,
        labels: ctx.labels,
        memoryLimitGb: plan.docker.memoryLimitGb,
        cpuLimit: plan.docker.cpuLimit,
        volumes: plan.docker.volumes,
        cmd: recipe.cmd,
        output: new WorkerOutput(plainLine(plan.token)),
        beforeStart: async (c) => {
          for (const f of recipe.files) await c.putArchive(singleFileTar(f.name, f.content), { path: f.dir });
        },
      });
      const ready = await trackUntilReady(ctx, worker, () => worker.discard(), booting);
      return worker.running(ready, { console: plan.language, secretExposure: recipe.secretExposure });
    },

    reattach: (record) => attachContainer(docker, 'plain-image', record),
    sweepLabelled: (isOrphan) => sweepContainers(docker(), 'plain-image', isOrphan),
  };
}

export interface PlainRecipeInput {
  auth: 'PSK' | 'ANONYMOUS';
  token?: string;
  language?: string;
  heapSizeGb: number;
  extraJvmArgs: string[];
  environment: Record<string, string>;
  /** The image sets its own CMD: no room for the bootstrap file argument. */
  imageHasOwnCmd: boolean;
}

/** How a plain Deephaven image is run: its environment, command, files put in before start, ready line. */
export interface PlainRecipe {
  env: Record<string, string>;
  cmd?: string[];
  files: Array<{ dir: string; name: string; content: string }>;
  secretExposure?: string;
  ready: RegExp;
}

/** The one place that knows how a plain image is configured (the driver and DeephavenContainer use it). */
export function plainContainerRecipe(p: PlainRecipeInput): PlainRecipe {
  const properties = serverProperties(p);
  const jvmArgs = baseJvmArgs(p.heapSizeGb, p.extraJvmArgs);
  if (p.imageHasOwnCmd) jvmArgs.push(...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`));
  const userStartOpts = p.environment.START_OPTS;
  return {
    env: {
      ...p.environment,
      START_OPTS: [...jvmArgs.map(quoteForXargs), ...(userStartOpts ? [userStartOpts] : [])].join(' '),
    },
    cmd: p.imageHasOwnCmd ? undefined : [`${BOOTSTRAP_DIR}/${BOOTSTRAP_NAME}`],
    files: p.imageHasOwnCmd
      ? []
      : [{ dir: BOOTSTRAP_DIR, name: BOOTSTRAP_NAME, content: propertiesFile(properties) }],
    secretExposure:
      p.imageHasOwnCmd && p.auth === 'PSK'
        ? "the image defines its own CMD, so the PSK is passed in the container's START_OPTS environment variable, which 'docker inspect' shows to anyone who can use the Docker engine"
        : undefined,
    ready: READY,
  };
}

/** The server settings dh-mcp decides: authentication, and the console when the request names one. */
function serverProperties(
  plan: Pick<PlainRecipeInput, 'auth' | 'token' | 'language'>,
): Record<string, string> {
  const p: Record<string, string> = {
    AuthHandlers: plan.auth === 'PSK' ? PSK_HANDLER : ANONYMOUS_HANDLER,
  };
  if (plan.auth === 'PSK') {
    const token = plan.token ?? '';
    // The server reads the PSK as ASCII (the same rule the DH-WORKER script applies).
    if (!token || !/^[\x21-\x7e]+$/.test(token))
      throw new LaunchError('auth_token must be printable ASCII without whitespace for a Deephaven image');
    p['authentication.psk'] = token;
  }
  if (plan.language) p['deephaven.console.type'] = plan.language;
  return p;
}

/** Java properties syntax: backslashes escaped; keys and values here hold no line breaks. */
function propertiesFile(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}\n`)
    .join('');
}

/**
 * START_OPTS is split by xargs in the image's start script: quote an argument that holds whitespace or quotes.
 * xargs knows no escapes inside quotes, so an argument holding both kinds of quote cannot be passed.
 */
export function quoteForXargs(arg: string): string {
  if (!/[\s'"\\]/.test(arg)) return arg;
  if (!arg.includes("'") && !arg.includes('\\')) return `'${arg}'`;
  if (!arg.includes('"') && !arg.includes('\\')) return `"${arg}"`;
  throw new LaunchError(
    `the JVM argument '${arg.slice(0, 60)}' holds quotes or backslashes that START_OPTS of a Deephaven image cannot carry`,
  );
}

/**
 * The server's own log: ready on "Server started on port N". The authentication banner prints the PSK (and a
 * URL holding it): those lines never reach our log tail or error messages.
 */
function plainLine(token: string | undefined): (line: string) => LineMeaning {
  return (line) => {
    if (READY.test(line)) return { ready: { port: Number(READY.exec(line)![1]) } };
    if ((token && line.includes(token)) || /psk=|pre-shared key/i.test(line)) return { hide: true };
    return undefined;
  };
}
