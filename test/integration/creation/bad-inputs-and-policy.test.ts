import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { testDocker } from '../../helpers/docker.js';
import { LABELS } from '../../../src/workers/owner-labels.js';
import { pidExists } from '../../../src/util/process-identity.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';

// Issue 12 on real workers through MCP: every bad input answered at once and by name (nothing reserved or
// started), a dead worker answered within a second, and the security.community defaults: host-reaching values
// from the config file are used, the same from a tool call are refused. Two workers for the whole file: one
// Docker worker configured with host-reaching defaults, one Python worker that is killed for the dead-worker
// case. Leaks are checked by this file's own session names, not by the whole host.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
const RUN = `bip${process.pid}`;
const hostDir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-policy-int-'));
writeFileSync(path.join(hostDir, 'marker.txt'), 'from the host');
const MB = 'x'.repeat(1 << 20);
const names: string[] = [];

beforeAll(async () => {
  const file = await writeConfig({
    community: {
      session_creation: {
        max_concurrent_sessions: 2,
        defaults: {
          heap_size_gb: 1,
          startup_timeout_seconds: 240,
          // The operator's values: each would be refused from a tool call.
          // ...and a named volume, which dh-mcp creates with its labels and keeps after delete.
          docker_volumes: [`${hostDir}:/hostdata:ro`, `${RUN}vol:/scratch`],
          environment_vars: { JAVA_TOOL_OPTIONS: '-Ddhmcp.policy=from-config' },
          extra_jvm_args: ['-XX:OnOutOfMemoryError=true'],
        },
      },
    },
  });
  mcp = await inMemoryServer(file);
});

afterAll(async () => {
  await mcp?.close();
  // Nothing this file created outlives it: containers by session label, volumes by name.
  const docker = testDocker();
  for (const n of names) {
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.session}=${n}`] } });
    expect(left, n).toEqual([]);
  }
  const volumes = (await docker.listVolumes()).Volumes ?? [];
  expect(volumes.map((v) => v.Name)).not.toContain(`${RUN}vol`);
});

/** A create may outlast the SDK's default 60 s request timeout on a loaded machine. */
async function createSlowly(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = (await mcp.client.callTool({ name: 'session_community_create', arguments: args }, undefined, {
    timeout: 300_000,
  })) as CallToolResult;
  return r.structuredContent as Record<string, unknown>;
}

async function refused(args: Record<string, unknown>): Promise<string> {
  const session_name = `${RUN}-${names.length}`;
  names.push(session_name);
  const started = Date.now();
  const r = await call(mcp.client, 'session_community_create', { session_name, ...args });
  expect(r.success).toBe(false);
  expect(Date.now() - started).toBeLessThan(2000); // refused before anything started
  expect((await call(mcp.client, 'sessions_list')).sessions).not.toContainEqual(
    expect.objectContaining({ session_name }),
  );
  return r.error as string;
}

describe('issue 12: bad inputs answered at once, naming the field', () => {
  it('1: a volume whose host part would become a named volume is refused, and no volume appears', async () => {
    const e = await refused({ launch_method: 'docker', docker_volumes: [`${RUN}vol:/data`] });
    expect(e).toMatch(
      /^docker_volumes\[0\]: mounts the named volume .*security\.community\.allowed_named_volumes/,
    );
    expect(await refused({ launch_method: 'docker', docker_volumes: ['rel/dir:/data'] })).toMatch(
      /neither an absolute path nor a volume name/,
    );
  });

  it('2: environment_vars with a NUL byte or a 200,000-character value', async () => {
    expect(await refused({ environment_vars: { A: 'a\u0000b' } })).toBe(
      'environment_vars.A: the value contains a NUL character; remove it',
    );
    expect(await refused({ environment_vars: { A: 'x'.repeat(200_000) } })).toBe(
      'environment_vars.A: the value is 200000 characters long; the limit is 32768',
    );
  });

  it('5 and 6: megabyte inputs are refused by length and never echoed', async () => {
    const token = await refused({ auth_token: MB });
    expect(token).toMatch(/^auth_token: is 1048576 characters long; the limit is 512/);
    const venv = await refused({ launch_method: 'python', python_venv_path: MB });
    expect(venv).toBe('python_venv_path: the path is 1048576 characters long; the limit is 4096');
    // Other tools quote long inputs too.
    const details = await call(mcp.client, 'session_details', { session_id: `community:dynamic:${MB}` });
    expect((details.error as string).length).toBeLessThan(500);
    const del = await call(mcp.client, 'session_community_delete', { session_name: MB });
    expect((del.error as string).length).toBeLessThan(500);
  });

  it('7: numbers this machine cannot satisfy', async () => {
    expect(await refused({ heap_size_gb: 1e9 })).toBe(
      'heap_size_gb: must be at most 1024 GB, got 1000000000',
    );
    expect(await refused({ launch_method: 'docker', docker_memory_limit_gb: 1e12 })).toMatch(
      /^docker_memory_limit_gb: must be at most 65536 GB/,
    );
    expect(await refused({ launch_method: 'docker', docker_cpu_limit: 1e6 })).toMatch(
      /^docker_cpu_limit: must be at most 4096/,
    );
    expect(
      await refused({ launch_method: 'docker', docker_cpu_limit: os.availableParallelism() + 1 }),
    ).toMatch(/more than this machine's \d+ CPUs/);
  });
});

describe('security.community defaults: the config file is trusted, a tool call is checked', () => {
  it('refuses a host path, a code-loading variable and a command-running JVM argument from a tool call', async () => {
    expect(await refused({ launch_method: 'docker', docker_volumes: [`${hostDir}:/x`] })).toMatch(
      /security\.community\.allowed_volume_host_dirs/,
    );
    expect(
      await refused({
        launch_method: 'docker',
        docker_volumes: ['/var/run/docker.sock:/var/run/docker.sock'],
      }),
    ).toMatch(/engine socket/);
    expect(await refused({ environment_vars: { LD_PRELOAD: '/tmp/x.so' } })).toMatch(
      /security\.community\.allowed_environment_vars/,
    );
    expect(await refused({ extra_jvm_args: ['-XX:OnOutOfMemoryError=sh -c id'] })).toMatch(
      /runs a command.*security\.community\.allowed_jvm_arg_prefixes/,
    );
  });

  it('uses the same kinds of values from the config file on a real Docker worker', async () => {
    const session_name = `${RUN}-docker`;
    names.push(session_name);
    const created = await call(mcp.client, 'session_community_create', {
      session_name,
      launch_method: 'docker',
    });
    expect(created).toMatchObject({ success: true });
    const id = created.session_id as string;
    try {
      const r = await call(mcp.client, 'session_script_run', {
        session_id: id,
        script: [
          'import os, jpy',
          "marker = open('/hostdata/marker.txt').read()",
          "prop = jpy.get_type('java.lang.System').getProperty('dhmcp.policy')",
          "args = jpy.get_type('java.lang.management.ManagementFactory').getRuntimeMXBean().getInputArguments()",
          "oom = any(str(args.get(i)).startswith('-XX:OnOutOfMemoryError') for i in range(args.size()))",
          'print(marker, prop, oom)',
        ].join('\n'),
      });
      expect(r).toMatchObject({ success: true });
      expect(r.stdout).toMatch(/from the host from-config True/);
      // The named volume did not exist: dh-mcp made it, labelled with the session, and says so.
      const details = await call(mcp.client, 'session_details', { session_id: id });
      expect(JSON.stringify(details)).toContain(
        `"named_volumes":[{"name":"${RUN}vol","created_by_dh_mcp":true}]`,
      );
      const vol = await testDocker().getVolume(`${RUN}vol`).inspect();
      expect(vol.Labels?.[LABELS.session]).toBe(session_name);
    } finally {
      const del = await call(mcp.client, 'session_community_delete', { session_name });
      expect(del).toMatchObject({ success: true, worker_stopped: true });
      // Kept on purpose (it holds data), and the answer says how to remove it.
      expect(del.kept).toEqual([expect.stringContaining(`docker volume rm ${RUN}vol`)]);
      await testDocker().getVolume(`${RUN}vol`).remove();
    }
  });
});

describe('a created worker that died', () => {
  it('3: every tool answers within a second with the session_details reason and the delete hint; 4: table_names is bounded', async () => {
    const session_name = `${RUN}-py`;
    names.push(session_name);
    // A tool call may not name the config's host-reaching values' kinds, but it may override them with none.
    const created = await createSlowly({ session_name, launch_method: 'python' });
    expect(created).toMatchObject({ success: true });
    const id = created.session_id as string;
    const pid = created.process_id as number;

    // 4: a page of 100 names is answered (3 tables, 97 unknown names) and 101 names are refused at once.
    expect(
      await call(mcp.client, 'session_script_run', {
        session_id: id,
        script:
          'from deephaven import empty_table\nt1 = empty_table(3)\nt2 = empty_table(4)\nt3 = empty_table(5)',
      }),
    ).toMatchObject({ success: true });
    const page = ['t1', 't2', 't3', ...Array.from({ length: 97 }, (_, i) => `missing_${i}`)];
    const schemas = await call(mcp.client, 'session_tables_schema', { session_id: id, table_names: page });
    expect(schemas.count).toBe(100);
    expect((schemas.schemas as Array<{ success: boolean }>).filter((s) => s.success)).toHaveLength(3);
    const tooMany = await call(mcp.client, 'session_tables_schema', {
      session_id: id,
      table_names: [...page, 'one_more'],
    });
    expect(tooMany.error).toMatch(/^table_names: has 101 names; at most 100 per call: ask in pages of 100/);

    process.kill(pid, 'SIGKILL');
    await expect.poll(() => pidExists(pid), { timeout: 10_000 }).toBe(false);

    const details = await call(mcp.client, 'session_details', { session_id: id, attempt_to_connect: true });
    const reason = (details.session as { liveness_detail: string }).liveness_detail;
    expect(reason).toMatch(/^the worker process is no longer running/);
    for (const [tool, args] of [
      ['session_tables_list', {}],
      ['session_tables_schema', {}],
      ['session_table_data', { table_name: 't1' }],
      ['session_script_run', { script: 'print(1)' }],
      ['session_pip_list', {}],
    ] as const) {
      const started = Date.now();
      const r = await call(mcp.client, tool, { session_id: id, ...args });
      const ms = Date.now() - started;
      expect(r.success, tool).toBe(false);
      expect(r.error, tool).toContain(reason);
      expect(r.error, tool).toMatch(/session_community_delete/);
      expect(ms, tool).toBeLessThan(2000);
    }
    expect(await call(mcp.client, 'session_community_delete', { session_name })).toMatchObject({
      success: true,
      worker_stopped: true,
    });
  });
});
