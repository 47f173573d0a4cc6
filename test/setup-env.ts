import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { offlineImage } from '../src/util/paths.js';

// Each test file gets its own scope: a temp root that every process it starts inherits as TMPDIR (python
// workers' private homes, configs, data directories all land under it). Leak checks and JVM-boot accounting
// recognise this file's workers by that root and by its labels, never by what else runs on the machine.
// The machine's temp directory is remembered once: files that share a worker process (unit tests run without
// isolation) must not nest each scope in the previous file's, already removed, root.
const machineTmp = (process.env.DH_MCP_MACHINE_TMPDIR ??= os.tmpdir());
const root = mkdtempSync(path.join(machineTmp, 'dh-mcp-test-'));
process.env.DH_MCP_TEST_SCOPE = root;
process.env.TMPDIR = root;
// Instance records stay out of the user's real data directory.
process.env.DH_MCP_DATA_DIR = path.join(root, 'data');

// No registry outside this machine is reachable, so the suite's default images are the offline dh-mcp ones
// (the product's default is the official ghcr.io image; DH_MCP_DEFAULT_IMAGE_* is its documented override).
// Tests of the official-image path name their images explicitly.
process.env.DH_MCP_DEFAULT_IMAGE_PYTHON ??= offlineImage('Python');
process.env.DH_MCP_DEFAULT_IMAGE_GROOVY ??= offlineImage('Groovy');

// What THIS environment needs from testcontainers (the library leaves the caller's process alone): no registry
// is reachable for Ryuk's image, and the engine publishes ports on loopback. See docs/ci.md.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';

// Opt-in JVM-boot accounting (test/helpers/boot-count.ts); imported late, as it reads the scope set above.
const stopBootCount = process.env.DH_MCP_BOOT_LEDGER
  ? (await import('./helpers/boot-count.js')).startBootCount()
  : async () => undefined;

afterAll(async () => {
  await stopBootCount();
  rmSync(root, { recursive: true, force: true });
});
