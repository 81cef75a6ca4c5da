import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes make a leaked token recognisable (and greppable) by kind. */
export const TokenPrefix = { agent: 'pag_', api: 'pat_' } as const;

/** A fresh random token: 32 bytes of entropy, base64url. Shown once, stored only as its hash. */
export function newToken(kind: keyof typeof TokenPrefix): string {
  return TokenPrefix[kind] + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 is enough here: tokens are 256-bit random, so there is nothing to brute-force and a
 * slow password hash would only cost CPU on every request.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads `Authorization: Bearer <token>`; returns undefined when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const match = /^Bearer\s+(\S{8,512})\s*$/i.exec(value);
  return match?.[1];
}
