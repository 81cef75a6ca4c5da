import { describe, expect, it } from 'vitest';
import { agentUrl, installCommand } from './install-command.ts';

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
});
