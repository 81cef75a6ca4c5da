import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../packages/collector/src/access/roles.ts';
import { type BuildOptions, buildApp } from '../../packages/collector/src/app.ts';
import { type DeepPartial, loadConfig } from '../../packages/collector/src/config/index.ts';
import type { CollectorConfig } from '../../packages/collector/src/config/types.ts';

type App = Awaited<ReturnType<typeof buildApp>>;

export interface TestApp {
  app: App;
  url: string;
  wsUrl: string;
  dataDir: string;
  adminToken: string;
  /** Creates a service API token with this role and returns its secret. */
  token(role: Role): string;
  /** Adds an active user with this role and a token of theirs; returns the user's id and the secret. */
  user(name: string, role: Role): { id: number; token: string };
  /** Adds a host through the store; returns its id and agent token. */
  addHost(name: string, labels?: Record<string, string>): { id: number; token: string };
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** A collector built in-process on port 0 with a temporary SQLite file. */
export async function startTestApp(
  overrides: DeepPartial<CollectorConfig> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'pantau-test-')),
  build: BuildOptions = {},
): Promise<TestApp> {
  const adminToken = `test-admin-${Math.random().toString(36).slice(2)}-0123456789`;
  const config = loadConfig({
    env: {},
    overrides: { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken, ...overrides },
  });
  const app = await buildApp(config, build);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const { store, access } = app.pantau;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/agent`,
    dataDir,
    adminToken,
    token: (role) => access.repos.tokens.create(`${role} test`, role, null).secret,
    user: (name, role) => {
      const user = access.repos.users.insert({
        name,
        email: null,
        role,
        status: 'active',
        telegramId: null,
        telegramChatId: null,
        approvedBy: 'test',
        now: Date.now(),
      });
      return { id: user.id, token: access.repos.tokens.create(`${name} test`, role, user.id).secret };
    },
    addHost: (name, labels = {}) => {
      const { host, token } = store.hosts.add(name, labels);
      return { id: host.id, token };
    },
    async close(options = {}) {
      await app.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
