#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  creationDefaults,
  describeWorker,
  launchWorker,
  planFor,
  type LaunchWorkerOptions,
} from '../api/launch-worker.js';
import { locateConfig, readConfigFile } from '../config/load.js';
import { disposeTransports } from '../deephaven/worker-connection.js';
import {
  detachedAlive,
  listDetached,
  loadDetached,
  saveDetached,
  stopDetached,
  workersDir,
} from '../tracking/detached-workers.js';
import { InvalidRequestError, errorKind, errorMessage } from '../util/errors.js';
import { runSetup } from '../setup/setup-command.js';
import { DriverSet } from '../workers/drivers/index.js';
import { LABELS } from '../workers/owner-labels.js';
import { startWorker } from '../workers/start-worker.js';
import { progressMessage } from '../workers/progress.js';
import { cliOptionTable, cliUsageLines, optionsFromCli } from '../workers/params/options.js';
import { progressLine } from './progress-line.js';

const USAGE = `dh-mcp: prepare the worker runtime, ephemeral Deephaven workers for CI, and config checks

  dh-mcp setup [python|docker] [--python <path>] [--json]
      prepare what workers need, once: a venv with deephaven-server in the data directory and a JDK check
      (python), the default image pulled (docker); both by default. dh-mcp setup --help for details
  dh-mcp worker run [options] -- <command> [args...]
      start a worker, run the command with DH_HOST, DH_PORT, DH_URL, DH_PSK set, stop the worker when the
      command ends or on any signal; exits with the command's status
  dh-mcp worker start [options] [--json] [--ttl <seconds>]
      start a worker that outlives this command (tracked; removed by 'worker stop', or by any dh-mcp start-up
      sweep after its TTL, default 7200 s); prints KEY=value lines (or JSON) on stdout
  dh-mcp worker stop <name>       stop a started worker
  dh-mcp worker ls [--json]       list started workers
  dh-mcp config validate [file]   check a deephaven_mcp.json (default: the one the server would use)

worker options (defaults from community.session_creation.defaults of the config, then the server's):
  -c, --config <file>      deephaven_mcp.json to take defaults from
${cliUsageLines().join('\n')}
`;

/** The parameter flags come from the parameter model; the rest belong to the commands. */
const WORKER_OPTIONS = {
  ...cliOptionTable(),
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type WorkerValues = Record<string, string | string[] | boolean | undefined> & {
  config?: string;
  json?: boolean;
  ttl?: string;
  help?: boolean;
};

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidRequestError(`--${flag} expects a number, got '${v}'`);
  return n;
}

function workerOptions(v: WorkerValues): LaunchWorkerOptions {
  return { ...optionsFromCli(v), configFile: v.config };
}

function connectionEnv(w: {
  host: string;
  port: number;
  url: string;
  token?: string;
}): Record<string, string> {
  return { DH_HOST: w.host, DH_PORT: String(w.port), DH_URL: w.url, DH_PSK: w.token ?? '' };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_NUMBERS: Record<string, number> = os.constants.signals as unknown as Record<string, number>;

async function workerRun(v: WorkerValues, command: string[]): Promise<number> {
  if (!command.length)
    throw new InvalidRequestError('worker run needs a command after --, e.g. dh-mcp worker run -- npm test');
  const progress = progressLine();
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const run: { child?: ReturnType<typeof spawn> } = {};
  // One handler for the whole run, installed before anything starts and kept until the end: a signal is never
  // left to the default action (which would skip the cleanup). Before the command runs it cancels the start;
  // afterwards it is passed on to the command.
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled ??= sig;
    if (run.child) run.child.kill(sig);
    else abort.abort(new Error(`received ${sig}`));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  let w;
  try {
    w = await launchWorker({ ...workerOptions(v), onProgress: progress.update, signal: abort.signal });
  } catch (e) {
    if (signalled) return 128 + (SIGNAL_NUMBERS[signalled] ?? 1); // cancelled; the start cleaned up after itself
    throw e;
  } finally {
    progress.done();
  }
  if (signalled) {
    await w.stop();
    return 128 + (SIGNAL_NUMBERS[signalled] ?? 1);
  }
  process.stderr.write(
    `dh-mcp: worker '${w.name}' (${w.method}) ready at ${w.url}; running ${command.join(' ')}\n`,
  );
  const running = spawn(command[0]!, command.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...connectionEnv(w) },
  });
  run.child = running;
  const status = await new Promise<number>((resolve) => {
    running.on('error', (e) => {
      process.stderr.write(`dh-mcp: cannot run ${command[0]}: ${e.message}\n`);
      resolve(127);
    });
    running.on('exit', (code, sig) => resolve(code ?? 128 + (SIGNAL_NUMBERS[sig ?? 'SIGTERM'] ?? 15)));
  });
  await w.stop();
  await disposeTransports();
  process.stderr.write(`dh-mcp: worker '${w.name}' stopped; command exited with ${status}\n`);
  return status;
}

async function workerStart(v: WorkerValues): Promise<number> {
  const ttl = num(v.ttl, 'ttl') ?? 7200;
  if (!(ttl > 0)) throw new InvalidRequestError(`--ttl must be greater than 0, got ${ttl}`);
  const plan = planFor(workerOptions(v), await creationDefaults(v.config));
  if (loadDetached(plan.name))
    throw new InvalidRequestError(`a worker named '${plan.name}' is already started; stop it first`);
  const expires = new Date(Date.now() + ttl * 1000).toISOString();
  const progress = progressLine();
  // A signal during the start cancels it (the start stops what it launched); never the default action, which
  // would leave a worker running with no record.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => abort.abort(new Error(`received ${sig}`));
  for (const s of SIGNALS) process.on(s, onSignal);
  const logFile = path.join(workersDir(), `${plan.name}.log`);
  mkdirSync(workersDir(), { recursive: true, mode: 0o700 });
  const { handle, connection } = await startWorker(plan, {
    drivers: new DriverSet(),
    // The detached record below is its tracking; no instance record (this process exits at once).
    tracking: { track: () => undefined, untrack: () => undefined },
    labels: {
      [LABELS.instance]: `detached:${plan.name}`,
      [LABELS.session]: plan.name,
      [LABELS.created]: new Date().toISOString(),
      [LABELS.ownerHost]: os.hostname(),
      [LABELS.expires]: expires,
    },
    exitWithOwner: false,
    signal: abort.signal,
    onProgress: (e) => progress.update(progressMessage(e)),
    logFile,
  }).finally(() => progress.done());
  await connection.close();
  const w = describeWorker(handle, plan);
  // Without its record nothing could stop the worker again: a failed save stops it at once.
  try {
    saveDetached({
      name: w.name,
      method: w.method,
      host: w.host,
      port: w.port,
      url: w.url,
      auth_type: w.authType,
      worker: handle.record(),
      created_at: new Date().toISOString(),
      expires_at: expires,
    });
  } catch (e) {
    await handle.stop();
    throw e;
  }
  const details = { name: w.name, method: w.method, kind: w.kind, ...connectionEnv(w), expires_at: expires };
  if (v.json) {
    const { process_id: pid, ...identity } = handle.identity;
    process.stdout.write(`${JSON.stringify({ ...details, pid, ...identity })}\n`);
  } else for (const [k, val] of Object.entries(connectionEnv(w))) process.stdout.write(`${k}=${val}\n`);
  process.stderr.write(`dh-mcp: worker '${w.name}' started; stop it with: dh-mcp worker stop ${w.name}\n`);
  await disposeTransports();
  return 0;
}

/** `dh-mcp setup`: progress on stderr (a live line with the elapsed time on a terminal), signals cancel. */
async function setup(args: string[]): Promise<number> {
  const line = progressLine();
  const t0 = Date.now();
  let last = '';
  const render = (): void => line.update(`[${Math.round((Date.now() - t0) / 1000)} s] ${last}`);
  const ticker = process.stderr.isTTY ? setInterval(render, 1000) : undefined;
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled ??= sig;
    abort.abort(new Error(`setup cancelled by ${sig}; nothing half-made is kept`));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    return await runSetup(
      args,
      {
        progress: (m) => {
          last = m;
          render();
        },
        settle: () => line.done(),
        signal: abort.signal,
        env: process.env,
      },
      (text) => process.stdout.write(text),
    );
  } catch (e) {
    if (signalled) {
      line.done();
      process.stderr.write(`dh-mcp: ${errorMessage(e)}\n`);
      return 128 + (SIGNAL_NUMBERS[signalled] ?? 1);
    }
    throw e;
  } finally {
    if (ticker) clearInterval(ticker);
    line.done();
  }
}

async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group || group === '-h' || group === '--help' || group === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (group === 'setup') return setup(argv.slice(1));
  if (group === 'config' && action === 'validate') {
    const file = rest[0] ?? (await locateConfig().then((l) => (l.kind === 'file' ? l.path : undefined)));
    if (!file) {
      process.stdout.write(
        'no deephaven_mcp.json found; the server would use its embedded default (valid)\n',
      );
      return 0;
    }
    await readConfigFile(file);
    process.stdout.write(`${file}: valid\n`);
    return 0;
  }
  if (group === 'worker') {
    const dashes = rest.indexOf('--');
    const own = dashes >= 0 ? rest.slice(0, dashes) : rest;
    const command = dashes >= 0 ? rest.slice(dashes + 1) : [];
    const parsed = parseArgs({ args: own, options: WORKER_OPTIONS, allowPositionals: true });
    const values = parsed.values as WorkerValues;
    const positionals = parsed.positionals;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    switch (action) {
      case 'run':
        return workerRun(values, command);
      case 'start':
        return workerStart(values);
      case 'stop': {
        const name = positionals[0];
        if (!name) throw new InvalidRequestError('worker stop needs the worker name (see dh-mcp worker ls)');
        const w = loadDetached(name);
        if (!w) throw new InvalidRequestError(`no started worker named '${name}' (see dh-mcp worker ls)`);
        await stopDetached(w, new DriverSet());
        process.stderr.write(`dh-mcp: worker '${name}' stopped\n`);
        return 0;
      }
      case 'ls': {
        const drivers = new DriverSet();
        const all = await Promise.all(
          listDetached().map(async (w) => ({
            ...w,
            alive: await detachedAlive(w, drivers),
          })),
        );
        if (values.json) process.stdout.write(`${JSON.stringify(all)}\n`);
        else
          for (const w of all)
            process.stdout.write(
              `${w.name}\t${w.method}\t${w.url}\t${w.alive ? 'running' : 'gone'}\texpires ${w.expires_at}\n`,
            );
        return 0;
      }
    }
  }
  throw new InvalidRequestError(`unknown command '${argv.join(' ')}'; see dh-mcp --help`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Errors of the taxonomy are written for the person (exit 2); anything else is a bug (exit 1).
    const known = errorKind(e) !== undefined;
    process.stderr.write(`dh-mcp: ${errorMessage(e)}\n`);
    process.exit(known ? 2 : 1);
  },
);
