import { NotFoundError, InvalidRequestError } from '../util/errors.js';
import { logger } from '../util/logger.js';
import type { CommunitySession } from './community-session.js';
import { parseSessionId } from './session-id.js';
import { quote } from '../util/quote.js';

/** Every session the server knows: static ones in config order, then dynamic ones in creation order. */
export class SessionRegistry {
  private readonly sessions = new Map<string, CommunitySession>();

  constructor(initial: Iterable<CommunitySession> = []) {
    for (const s of initial) this.add(s);
  }

  add(session: CommunitySession): void {
    if (this.sessions.has(session.id))
      throw new InvalidRequestError(`Session '${session.id}' already exists`);
    this.sessions.set(session.id, session);
  }

  remove(id: string): CommunitySession | undefined {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    return s;
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** The session with this id, if any, for the server's own bookkeeping (not a caller's activity). */
  peek(id: string): CommunitySession | undefined {
    return this.sessions.get(id);
  }

  list(): CommunitySession[] {
    return [...this.sessions.values()];
  }

  /**
   * Looks a session up by full id for a caller that addresses it (every tool and resource that takes a
   * session id comes here): the lookup counts as activity for a created worker's idle timeout. The error says
   * what ids exist.
   */
  get(id: string): CommunitySession {
    parseSessionId(id);
    const s = this.sessions.get(id);
    if (!s) {
      const known = [...this.sessions.keys()];
      throw new NotFoundError(
        `Session ${quote(id)} not found. ${known.length ? `Known sessions: ${known.join(', ')}` : 'No sessions are configured or created.'}`,
      );
    }
    s.touch();
    return s;
  }

  /** Closes every connection in parallel; errors are logged, never thrown. */
  async closeAll(): Promise<void> {
    const all = this.list();
    await Promise.all(
      all.map((s) =>
        s
          .close()
          .catch((e: unknown) => logger.warn({ session: s.id, err: String(e) }, 'closing session failed')),
      ),
    );
  }
}
