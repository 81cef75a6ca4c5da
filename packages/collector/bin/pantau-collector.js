#!/usr/bin/env node
// In a checkout Node runs the TypeScript sources directly (type stripping, Node >= 22.18);
// an installed package runs the JavaScript that `pnpm build` emitted into dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source) && !process.features.typescript) {
  // One line rather than ERR_UNKNOWN_FILE_EXTENSION's stack trace; the unit or shell picked an old node.
  process.stderr.write(
    `pantau-collector: a checkout needs Node >= 22.18 (24 recommended) to run its TypeScript, but this is Node ${process.versions.node} at ${process.execPath}; install Node 24 from https://nodejs.org and run this with it\n`,
  );
  process.exit(1);
}
const entry = existsSync(source) ? source : new URL('../dist/cli.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
