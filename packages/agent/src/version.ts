import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The agent's version from its package.json (src/ and dist/ both sit one level below it). */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
