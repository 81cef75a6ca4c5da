// vitest globalSetup: the collector serves packages/web/dist, so build it when its sources changed.
import { ensureConsoleBuilt } from '../../packages/web/scripts/build.ts';

export default async function setup(): Promise<void> {
  await ensureConsoleBuilt({ quiet: true });
}
