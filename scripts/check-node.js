// Plain JavaScript on purpose: it must run on a Node too old to strip types, and say so in one line
// instead of Node's ERR_UNKNOWN_FILE_EXTENSION stack trace for the first `.ts` import.
import { readFileSync } from 'node:fs';

const wanted = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const min = wanted
  .replace(/^>=\s*/, '')
  .split('.')
  .map(Number);
const have = process.versions.node.split('.').map(Number);
const older = min.findIndex((part, i) => (have[i] ?? 0) !== part);
if (older !== -1 && (have[older] ?? 0) < min[older]) {
  process.stderr.write(
    `pantau: needs Node ${wanted} (24 recommended) but this is Node ${process.versions.node} at ${process.execPath}; install Node 24 from https://nodejs.org (or \`nvm install 24\`) and put it first on PATH\n`,
  );
  process.exit(1);
}
