#!/usr/bin/env node
// In a checkout Node runs the TypeScript sources directly (type stripping, Node >= 22.18). An
// installed package runs the single-file bundle that `pnpm build` wrote into dist/, or without
// one the compiled modules. The bundle reaches Node's built-ins through require: an ESM import
// of one builds its namespace by reading every export, which loads the lazy ones too
// (fs.promises with streams and readline, util's worker_threads): about 2 MB of the agent's
// peak RSS (docs/benchmarks.md).
const { existsSync } = process.getBuiltinModule('node:fs');

const source = new URL('../src/cli.ts', import.meta.url);
const bundle = new URL('../dist/pantau-agent.cjs', import.meta.url);
if (!existsSync(source) && existsSync(bundle)) {
  // The bundle runs the CLI on process.argv itself.
  const { fileURLToPath } = process.getBuiltinModule('node:url');
  process.getBuiltinModule('node:module').createRequire(import.meta.url)(fileURLToPath(bundle));
} else {
  const entry = existsSync(source) ? source : new URL('../dist/cli.js', import.meta.url);
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv.slice(2));
}
