// A pruned production tree of one package for a container image:
//   node scripts/deploy.ts @pantau/collector OUT
// = `pnpm deploy --prod` (production dependencies only, workspace packages copied in), then each
// copied workspace package's publishConfig applied, so imports resolve to its compiled dist/:
// Node does not strip TypeScript types under node_modules. Needs `pnpm build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node scripts/deploy.ts @pantau/collector OUT_DIR');
  process.exit(2);
}

execFileSync('pnpm', ['--config.inject-workspace-packages=true', '--filter', pkg, 'deploy', '--prod', out], {
  stdio: 'inherit',
});

/** Every package.json of a workspace package in the deployed tree (the root and injected copies). */
function manifests(): string[] {
  const found = [join(out as string, 'package.json')];
  const store = join(out as string, 'node_modules', '.pnpm');
  if (!existsSync(store)) return found;
  for (const entry of readdirSync(store)) {
    const scope = join(store, entry, 'node_modules', '@pantau');
    if (!existsSync(scope)) continue;
    for (const name of readdirSync(scope)) found.push(join(scope, name, 'package.json'));
  }
  return found;
}

let applied = 0;
for (const file of manifests()) {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const publish = manifest.publishConfig as Record<string, unknown> | undefined;
  if (!String(manifest.name).startsWith('@pantau/') || !publish) continue;
  Object.assign(manifest, publish);
  delete manifest.publishConfig;
  // pnpm hard-links injected files to the workspace's own: replace the file, never write through it.
  rmSync(file);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  applied++;
}
console.log(`deployed ${pkg} to ${out} (publishConfig applied to ${applied} workspace packages)`);
