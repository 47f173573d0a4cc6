import { InvalidRequestError } from '../util/errors.js';

/**
 * Names and slots of workers being created. Taking a reservation is synchronous, so the check (name free,
 * slot free) and the claim happen with no await in between: two concurrent creates can never both pass.
 */
export class Reservations {
  private readonly names = new Set<string>();

  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /**
   * Claims `name` and one of `max` slots, `inUse` of which are held by running workers. Throws a clear error
   * when the name is taken or no slot is left; returns the release function otherwise.
   */
  reserve(name: string, id: string, nameTaken: boolean, inUse: number, max: number): () => void {
    if (nameTaken)
      throw new InvalidRequestError(
        `Session '${id}' already exists; delete it first or pick another session_name`,
      );
    if (this.names.has(name))
      throw new InvalidRequestError(
        `Session '${id}' is being created by another call; pick another session_name`,
      );
    const used = inUse + this.names.size;
    if (used >= max)
      throw new InvalidRequestError(
        `Session limit reached: ${used}/${max} sessions active or starting (community.session_creation.max_concurrent_sessions); delete one with session_community_delete first`,
      );
    this.names.add(name);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.names.delete(name);
    };
  }
}
