import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `packages/web` puts the built console (Vite output plus .br/.gz copies). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export function consoleBuilt(dir: string = CONSOLE_DIST): boolean {
  return existsSync(`${dir}/index.html`);
}
