import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { PantauError } from '@pantau/shared';

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Reads the certificate and key files and checks that they belong together, so a bad pair is
 * refused at start (or kept out on reload) with the file named, not at the first handshake.
 */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new PantauError('INVALID_CONFIG', `tls.${what}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const pair = { cert: read(files.cert, 'cert'), key: read(files.key, 'key') };
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new PantauError(
      'INVALID_CONFIG',
      `tls.cert ${files.cert} and tls.key ${files.key} are not a usable pair: ${(err as Error).message}`,
    );
  }
  return pair;
}
