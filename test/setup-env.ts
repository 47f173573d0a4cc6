import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { offlineImage } from '../src/util/paths.js';

// Tests keep their instance records out of the user's real data directory (one directory per test file).
process.env.DH_MCP_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-test-data-'));

// No registry outside this machine is reachable, so the suite's default images are the offline dh-mcp ones
// (the product's default is the official ghcr.io image; DH_MCP_DEFAULT_IMAGE_* is its documented override).
// Tests of the official-image path name their images explicitly.
process.env.DH_MCP_DEFAULT_IMAGE_PYTHON ??= offlineImage('Python');
process.env.DH_MCP_DEFAULT_IMAGE_GROOVY ??= offlineImage('Groovy');
