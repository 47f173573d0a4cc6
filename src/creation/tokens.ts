import { randomBytes } from 'node:crypto';

/** A PSK from the OS CSPRNG: 128 bits as 32 lowercase hex characters (URL-safe, the reference's format). */
export function generateToken(): string {
  return randomBytes(16).toString('hex');
}
