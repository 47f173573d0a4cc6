import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quote } from '../../util/quote.js';
import type { Problem } from './cross-field.js';
import { parseVolume } from './volumes.js';

/**
 * What a tool call (the assistant) may ask of the host. Values in deephaven_mcp.json are the operator's and
 * trusted; values in a tool call are checked here against security.community, before anything is reserved.
 * The library and the CLI take their values from the person running them, so they apply no policy.
 */
export interface CommunityPolicy {
  /** Host directories (and everything below them) a tool call may mount. Default: none. */
  allowed_volume_host_dirs: string[];
  /** Docker named volumes a tool call may mount. Default: none. */
  allowed_named_volumes: string[];
  /** Code-loading environment variables a tool call may set anyway. Default: none. */
  allowed_environment_vars: string[];
  /** Refused JVM arguments a tool call may pass anyway, when they start with one of these. Default: none. */
  allowed_jvm_arg_prefixes: string[];
  /** Image prefixes a tool call may run ("*" for any). */
  allowed_docker_images: string[];
  /** Directories whose venvs a tool call may name in python_venv_path. Default: none. */
  allowed_python_venv_dirs: string[];
}

export const DEFAULT_ALLOWED_DOCKER_IMAGES = ['ghcr.io/deephaven/', 'dh-mcp/worker-'];

export const DEFAULT_POLICY: CommunityPolicy = {
  allowed_volume_host_dirs: [],
  allowed_named_volumes: [],
  allowed_environment_vars: [],
  allowed_jvm_arg_prefixes: [],
  allowed_docker_images: DEFAULT_ALLOWED_DOCKER_IMAGES,
  allowed_python_venv_dirs: [],
};

const KEY = (k: keyof CommunityPolicy): string => `security.community.${k}`;

/**
 * Environment variables that change how a process loads code (the dynamic loader, the JVM, Python, shells, the
 * worker images' start script). Names are compared without regard to case.
 */
export const CODE_LOADING_ENV_VARS = [
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'JAVA_OPTS',
  'JAVA_HOME',
  'START_OPTS',
  'EXTRA_CLASSPATH',
  'CLASSPATH',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PYTHONHOME',
  'PYTHONUSERBASE',
  'PYTHONSAFEPATH',
  'PATH',
  'BASH_ENV',
  'ENV',
  'NODE_OPTIONS',
  'PERL5LIB',
  'RUBYOPT',
  'DEEPHAVEN_CONFIG_DIR',
  'DEEPHAVEN_PROPERTIES',
];
/** Every variable starting with these is treated the same (LD_*, macOS DYLD_*). */
export const CODE_LOADING_ENV_PREFIXES = ['LD_', 'DYLD_'];

export function isCodeLoadingEnvVar(name: string): boolean {
  const n = name.toUpperCase();
  return CODE_LOADING_ENV_VARS.includes(n) || CODE_LOADING_ENV_PREFIXES.some((p) => n.startsWith(p));
}

/**
 * JVM arguments that run commands, load agents or native code, replace the class path or the security manager,
 * write files to chosen paths, read further arguments from files, or change the worker's authentication or
 * listening address.
 */
export const RISKY_JVM_ARGS: ReadonlyArray<{ re: RegExp; why: string }> = [
  { re: /^-XX:[+-]?(OnOutOfMemoryError|OnError)\b/, why: 'runs a command' },
  { re: /^-(javaagent|agentlib|agentpath)[:=]?/, why: 'loads an agent or native library' },
  { re: /^-Xbootclasspath/, why: 'replaces the boot class path' },
  {
    re: /^(-cp|-classpath|--class-path|--module-path|-p|--upgrade-module-path|--patch-module)\b/,
    why: 'changes where classes are loaded from',
  },
  {
    re: /^-Djava\.(security\.manager|security\.policy|system\.class\.loader|class\.path|library\.path|ext\.dirs)\b/,
    why: 'changes how classes or native code are loaded',
  },
  {
    re: /^-XX:[+-]?(HeapDumpPath|HeapDumpOnOutOfMemoryError|ErrorFile|LogFile|StartFlightRecording|FlightRecorderOptions|ArchiveClassesAtExit|SharedArchiveFile|CRaCCheckpointTo|ReplayDataFile|LogCompilation|UnlockDiagnosticVMOptions)\b/,
    why: 'writes files to a chosen path or unlocks diagnostic options',
  },
  { re: /^-Xlog:[^:]*:(?!(stdout|stderr)(:|$))|^-Xloggc/, why: 'writes logs to a chosen path' },
  { re: /^-DAuthHandlers\b|^-Dauthentication\./, why: "changes the worker's authentication" },
  { re: /^-Dhttp\.(host|port)\b|^-Ddeephaven\.server\.host/, why: 'changes where the worker listens' },
];

export function jvmArgRisk(arg: string): string | undefined {
  return RISKY_JVM_ARGS.find((r) => r.re.test(arg))?.why;
}

/** The values a tool call gave for host-reaching parameters (config values are never passed here). */
export interface ToolHostValues {
  environment?: Record<string, string>;
  extraJvmArgs?: string[];
  volumes?: string[];
  image?: string;
  /** Already resolved to an absolute path. */
  venvPath?: string;
}

/** What the operator configured (always allowed from a tool call too: it changes nothing). */
export interface OperatorDefaults {
  /** The configured image and the built-in language defaults. */
  images?: ReadonlyArray<string | undefined>;
  venvPath?: string;
}

export function policyProblems(
  tool: ToolHostValues,
  policy: CommunityPolicy,
  operator: OperatorDefaults,
  env: NodeJS.ProcessEnv = process.env,
): Problem[] {
  const problems: Problem[] = [];

  for (const name of Object.keys(tool.environment ?? {})) {
    if (!isCodeLoadingEnvVar(name)) continue;
    if (policy.allowed_environment_vars.some((a) => a.toUpperCase() === name.toUpperCase())) continue;
    problems.push({
      field: `environment_vars.${name}`,
      message: `changes how the worker's processes load code, so a tool call may not set it; the operator can allow it with ${KEY('allowed_environment_vars')} or set it in community.session_creation.defaults.environment_vars (deephaven_mcp.json)`,
    });
  }

  (tool.extraJvmArgs ?? []).forEach((arg, i) => {
    const why = jvmArgRisk(arg);
    if (!why || policy.allowed_jvm_arg_prefixes.some((p) => p !== '' && arg.startsWith(p))) return;
    problems.push({
      field: `extra_jvm_args[${i}]`,
      message: `${quote(arg)} ${why}, so a tool call may not pass it; the operator can allow it with ${KEY('allowed_jvm_arg_prefixes')} or set it in community.session_creation.defaults.extra_jvm_args (deephaven_mcp.json)`,
    });
  });

  (tool.volumes ?? []).forEach((spec, i) => {
    const problem = volumeProblem(spec, policy, env);
    if (problem) problems.push({ field: `docker_volumes[${i}]`, message: problem });
  });

  if (tool.image !== undefined && !(operator.images ?? []).includes(tool.image)) {
    const allowed = policy.allowed_docker_images;
    if (!allowed.some((p) => p === '*' || (p !== '' && tool.image!.startsWith(p))))
      problems.push({
        field: 'docker_image',
        message: `${quote(tool.image)} is not an image a tool call may run (allowed: ${allowed.length ? allowed.map((p) => (p === '*' ? 'any' : `${p}*`)).join(', ') : 'none'}); the operator can allow it with ${KEY('allowed_docker_images')} or set community.session_creation.defaults.docker_image (deephaven_mcp.json)`,
      });
  }

  if (tool.venvPath !== undefined) {
    const real = realish(tool.venvPath);
    const isDefault = operator.venvPath !== undefined && real === realish(operator.venvPath);
    if (!isDefault && !within(real, policy.allowed_python_venv_dirs))
      problems.push({
        field: 'python_venv_path',
        message: `${quote(tool.venvPath)} is not the configured venv nor under a directory a tool call may use (its Python runs on this machine); the operator can allow it with ${KEY('allowed_python_venv_dirs')} or set community.session_creation.defaults.python_venv_path (deephaven_mcp.json)`,
      });
  }
  return problems;
}

function volumeProblem(spec: string, policy: CommunityPolicy, env: NodeJS.ProcessEnv): string | undefined {
  const v = parseVolume(spec);
  if (!v) return undefined; // the form check already refused it
  if (v.named) {
    if (policy.allowed_named_volumes.includes(v.host)) return undefined;
    return `mounts the named volume ${quote(v.host)} (Docker would create it if missing), which a tool call may not use; the operator can allow it with ${KEY('allowed_named_volumes')} or put the volume in community.session_creation.defaults.docker_volumes (deephaven_mcp.json); for a host directory give its absolute path`;
  }
  const real = realish(v.host);
  if (exposesEngineSocket(real, env))
    return `host path ${quote(v.host)} is or contains a container engine socket (docker.sock / podman.sock), which would give the container control of the host's engine; a tool call may never mount it`;
  if (!within(real, policy.allowed_volume_host_dirs))
    return `host path ${quote(v.host)} is not under a directory a tool call may mount (${policy.allowed_volume_host_dirs.length ? policy.allowed_volume_host_dirs.join(', ') : 'none are configured'}); the operator can allow it with ${KEY('allowed_volume_host_dirs')} or put the volume in community.session_creation.defaults.docker_volumes (deephaven_mcp.json)`;
  return undefined;
}

/** The real path of p, resolving symbolic links in the part that exists (Docker creates missing dirs). */
export function realish(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    if (existsSync(head)) {
      try {
        return path.join(realpathSync(head), ...tail);
      } catch {
        return path.join(head, ...tail);
      }
    }
    const parent = path.dirname(head);
    if (parent === head) return path.join(head, ...tail);
    tail.unshift(path.basename(head));
    head = parent;
  }
}

function within(real: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => {
    const root = realish(d);
    return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  });
}

const SOCKET_RE = /^(docker|podman)\.sock$/;

/** Where container engine sockets usually live, plus the one DOCKER_HOST names. */
export function engineSocketCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = os.homedir();
  const runtime = env.XDG_RUNTIME_DIR;
  const fromHost = env.DOCKER_HOST?.startsWith('unix://') ? [env.DOCKER_HOST.slice('unix://'.length)] : [];
  return [
    '/var/run/docker.sock',
    '/run/docker.sock',
    '/run/podman/podman.sock',
    '/var/run/podman/podman.sock',
    ...(runtime ? [path.join(runtime, 'docker.sock'), path.join(runtime, 'podman', 'podman.sock')] : []),
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    path.join(home, '.colima', 'default', 'docker.sock'),
    path.join(home, '.colima', 'docker.sock'),
    path.join(home, '.rd', 'docker.sock'),
    ...fromHost,
  ];
}

/** The path is an engine socket (by name, also through links) or a directory holding one of the known ones. */
export function exposesEngineSocket(real: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (SOCKET_RE.test(path.basename(real))) return true;
  const prefix = real.endsWith(path.sep) ? real : real + path.sep;
  return engineSocketCandidates(env).some((s) => {
    const target = realish(s);
    return target === real || target.startsWith(prefix) || s.startsWith(prefix);
  });
}
