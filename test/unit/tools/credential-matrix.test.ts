import { describe, expect, it } from 'vitest';
import { CREDENTIAL_RETRIEVAL_MODES } from '../../../src/config/schema.js';
import { credentialRefusal } from '../../../src/tools/creation-tools.js';

// security.community.credential_retrieval_mode × {static, dynamic} sessions: the whole decision, no worker.
// test/integration/creation/credentials.test.ts checks the allowed credentials really log in.
const STATIC = { id: 'community:config:fixed', source: 'config' as const };
const DYNAMIC = { id: 'community:dynamic:made', source: 'dynamic' as const };

const ALLOWED = {
  none: { static: false, dynamic: false },
  dynamic_only: { static: false, dynamic: true },
  static_only: { static: true, dynamic: false },
  all: { static: true, dynamic: true },
} as const;

describe.each(CREDENTIAL_RETRIEVAL_MODES)('mode %s', (mode) => {
  it.each([
    ['static', STATIC],
    ['dynamic', DYNAMIC],
  ] as const)('%s session', (kind, session) => {
    const refusal = credentialRefusal(mode, session);
    if (ALLOWED[mode][kind]) {
      expect(refusal).toBeUndefined();
      return;
    }
    expect(refusal).toBeDefined();
    if (mode === 'none') {
      expect(refusal).toMatch(/^Credential retrieval is disabled \(mode='none'\)\. /);
    } else {
      expect(refusal).toMatch(
        new RegExp(`^Credential retrieval for ${kind} sessions is disabled\\. Current mode: '${mode}'\\. `),
      );
      expect(refusal).toContain(`Session '${session.id}'`);
    }
    // Every refusal says how to allow it.
    expect(refusal).toMatch(/credential_retrieval_mode/);
  });
});

it('covers every mode the config schema accepts', () => {
  expect(Object.keys(ALLOWED).sort()).toEqual([...CREDENTIAL_RETRIEVAL_MODES].sort());
});

it('names the modes that would allow the refused session', () => {
  expect(credentialRefusal('dynamic_only', STATIC)).toMatch(/to 'all' or 'static_only'/);
  expect(credentialRefusal('static_only', DYNAMIC)).toMatch(/to 'all' or 'dynamic_only'/);
  expect(credentialRefusal('none', STATIC)).toMatch(/"dynamic_only".*"static_only".*"all"/);
});
