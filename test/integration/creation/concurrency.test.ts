import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, type ResourceSnapshot } from '../../helpers/leaks.js';

// The reference never enforces max_concurrent_sessions and has no reservation, so concurrent creates all
// launch. Here the limit holds under a burst, with real workers.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let baseline: ResourceSnapshot;

beforeAll(async () => {
  baseline = await snapshot();
  mcp = await inMemoryServer(
    await writeConfig({
      community: {
        session_creation: {
          max_concurrent_sessions: 3,
          defaults: { launch_method: 'python', heap_size_gb: 1, startup_timeout_seconds: 180 },
        },
      },
    }),
  );
});

afterAll(async () => {
  await mcp?.close();
});

it('20 concurrent creates with max_concurrent_sessions 3: exactly 3 workers, 17 clear errors, nothing leaked', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      call(mcp.client, 'session_community_create', { session_name: `burst-${i}` }),
    ),
  );
  const ok = results.filter((r) => r.success);
  const failed = results.filter((r) => !r.success);
  expect(ok).toHaveLength(3);
  expect(failed).toHaveLength(17);
  for (const f of failed) {
    expect(f.error).toMatch(
      /^Session limit reached: 3\/3 sessions active or starting \(community\.session_creation\.max_concurrent_sessions\)/,
    );
  }
  // Exactly three worker processes more than before, each the one its session reports.
  const during = await snapshot();
  const newPids = during.workerPids.filter((p) => !baseline.workerPids.includes(p));
  expect(newPids.sort()).toEqual(ok.map((r) => r.process_id as number).sort());
  const list = await call(mcp.client, 'sessions_list');
  expect(list.sessions).toHaveLength(3);

  for (const r of ok) {
    const d = await call(mcp.client, 'session_community_delete', { session_name: r.session_name as string });
    expect(d.success).toBe(true);
  }
  expect(await settleTo(baseline)).toEqual(baseline);
});

it('concurrent creates of one name: one worker, the others told the name is taken', async () => {
  const results = await Promise.all(
    Array.from({ length: 5 }, () => call(mcp.client, 'session_community_create', { session_name: 'same' })),
  );
  expect(results.filter((r) => r.success)).toHaveLength(1);
  for (const r of results.filter((x) => !x.success))
    expect(r.error).toMatch(/'community:dynamic:same' is being created by another call/);
  await call(mcp.client, 'session_community_delete', { session_name: 'same' });
  expect(await settleTo(baseline)).toEqual(baseline);
});
