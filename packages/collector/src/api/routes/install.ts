import { PantauError } from '@pantau/shared';
import Type from 'typebox';
import { agentScript } from '../../fleet/agent-script.ts';
import { AgentArtifacts, ARCHES } from '../../fleet/artifacts.ts';
import { agentUrl } from '../../fleet/install-command.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { withErrors } from '../schemas.ts';

/** /install/agent.sh and the agent builds it downloads; public, since neither holds a secret. */
export async function installRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const artifacts = new AgentArtifacts(ctx.config.install.dir);
  const tags = ['install'];

  app.get(
    '/install/agent.sh',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary:
          'The agent installer (POSIX sh): curl -fsSL URL/install/agent.sh | sudo sh -s -- --token TOKEN',
        security: [],
        response: withErrors({ 200: Type.String() }),
      },
    },
    async (req, reply) => {
      // The address this request reached (X-Forwarded-* only from trusted proxies) unless one is configured.
      const base = ctx.config.publicUrl ?? `${req.protocol}://${req.host}`;
      const builds = Object.fromEntries(
        ARCHES.flatMap((arch) => {
          const a = artifacts.executable(arch);
          return a ? [[arch, { sha256: a.sha256, size: a.size, gzipSize: a.gzip?.size ?? null }]] : [];
        }),
      );
      return reply
        .type('text/x-shellscript; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(agentScript(base, agentUrl(base), builds));
    },
  );

  app.get(
    '/install/pantau-agent-linux-:arch',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'The agent as a single executable (no Node needed) for linux-x64 or linux-arm64',
        security: [],
        params: Type.Object({ arch: Type.Union(ARCHES.map((a) => Type.Literal(a))) }),
        response: withErrors({ 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }) }),
      },
    },
    async (req, reply) => {
      const artifact = artifacts.executable(req.params.arch);
      if (!artifact) {
        throw new PantauError(
          'NOT_FOUND',
          `this collector has no pantau-agent build for linux-${req.params.arch} in ${artifacts.dir}; run pnpm build there (or set install.dir)`,
        );
      }
      return reply
        .type('application/octet-stream')
        .header('content-length', artifact.size)
        .header('x-checksum-sha256', artifact.sha256)
        .send(artifact.open());
    },
  );

  app.get(
    '/install/pantau-agent-linux-:arch.gz',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary:
          'The same executable gzip-compressed (about a third of the size), what agent.sh downloads; X-Checksum-Sha256 is of the executable',
        security: [],
        params: Type.Object({ arch: Type.Union(ARCHES.map((a) => Type.Literal(a))) }),
        response: withErrors({ 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }) }),
      },
    },
    async (req, reply) => {
      const artifact = artifacts.executable(req.params.arch);
      const gzip = artifact?.gzip;
      if (!artifact || !gzip) {
        throw new PantauError(
          'NOT_FOUND',
          `this collector has no compressed pantau-agent build for linux-${req.params.arch} in ${artifacts.dir}; run pnpm build there (or set install.dir)`,
        );
      }
      return reply
        .type('application/gzip')
        .header('content-length', gzip.size)
        .header('x-checksum-sha256', artifact.sha256)
        .send(gzip.open());
    },
  );
}
