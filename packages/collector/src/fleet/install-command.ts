/** The agent's WebSocket URL for a collector base URL: http→ws, https→wss, path /agent. */
export function agentUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/agent`;
}

function isLoopback(base: string): boolean {
  const host = new URL(base).hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * What the API and the console show for installing an agent: one line for a root shell. A
 * plain-HTTP collector on another machine gets `--insecure` spelled out, since the agent
 * refuses ws:// there otherwise: the command works, and says what it gives up.
 */
export function installCommand(base: string, credential: { token: string } | { code: string }): string {
  const flag = 'token' in credential ? `--token ${credential.token}` : `--code ${credential.code}`;
  const insecure = base.startsWith('http://') && !isLoopback(base) ? ' --insecure' : '';
  return `curl -fsSL ${base}/install/agent.sh | sudo sh -s -- ${flag}${insecure}`;
}
