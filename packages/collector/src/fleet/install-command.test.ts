import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentUrl, installCommand, readInstallCa } from './install-command.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('install command', () => {
  it('is the agent.sh one-liner; --insecure only for plain HTTP to another machine', () => {
    expect(installCommand('https://pantau.example.com', { token: 'pag_x' })).toBe(
      'curl -fsSL https://pantau.example.com/install/agent.sh | sudo sh -s -- --token pag_x',
    );
    expect(installCommand('http://127.0.0.1:8080', { code: 'AAAA-BBBB-CCCC' })).toBe(
      'curl -fsSL http://127.0.0.1:8080/install/agent.sh | sudo sh -s -- --code AAAA-BBBB-CCCC',
    );
    expect(installCommand('http://10.0.0.5:8080', { token: 'pag_x' })).toMatch(/--token pag_x --insecure$/);
    expect(agentUrl('https://pantau.example.com')).toBe('wss://pantau.example.com/agent');
    expect(agentUrl('http://[::1]:8080')).toBe('ws://[::1]:8080/agent');
  });

  it('with a private CA writes it from base64, then trusts it for curl (--cacert) and the agent (--ca-file)', () => {
    const line = installCommand('https://pantau.lab', { code: 'AAAA-BBBB-CCCC' }, PEM);
    expect(line).toBe(
      `echo ${Buffer.from(PEM).toString('base64')} | base64 -d > pantau-ca.pem && curl -fsSL --cacert pantau-ca.pem https://pantau.lab/install/agent.sh | sudo sh -s -- --code AAAA-BBBB-CCCC --ca-file pantau-ca.pem`,
    );
  });

  it('install.caFile must be a readable PEM file, named in the error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantau-install-ca-'));
    try {
      expect(readInstallCa(null)).toBeNull();
      expect(() => readInstallCa(join(dir, 'nope.pem'))).toThrow(/^install\.caFile: cannot read .*nope\.pem/);
      writeFileSync(join(dir, 'key.pem'), 'not a certificate');
      expect(() => readInstallCa(join(dir, 'key.pem'))).toThrow(/key\.pem holds no PEM certificate/);
      writeFileSync(join(dir, 'ca.pem'), PEM);
      expect(readInstallCa(join(dir, 'ca.pem'))).toBe(PEM);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
