import type { LaunchMethod, DhMcpConfigInput } from './schema.js';

/**
 * The configuration used when no file is found: no static sessions, session creation enabled with the launch
 * method this machine can serve (chosen by the caller), small heaps, created workers stopped when forgotten, and
 * credentials kept from the assistant.
 */
export function embeddedDefaultConfig(launchMethod: LaunchMethod): DhMcpConfigInput {
  return {
    security: { community: { credential_retrieval_mode: 'none' } },
    community: {
      session_creation: {
        max_concurrent_sessions: 5,
        defaults: {
          launch_method: launchMethod,
          heap_size_gb: 2,
          startup_timeout_seconds: 120,
          // A worker no tool call used for an hour is a forgotten one (the conversation moved on); no worker
          // outlives a day, even one something keeps polling. docs/configuration.md explains both.
          idle_timeout_seconds: 3600,
          max_lifetime_seconds: 86_400,
        },
      },
    },
  };
}
