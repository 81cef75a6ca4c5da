#!/usr/bin/env node
// In a checkout Node runs the TypeScript sources directly (type stripping, Node >= 22.18);
// an installed package runs the JavaScript that `pnpm build` emitted into dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/cli.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
