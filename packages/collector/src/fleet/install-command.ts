/** The agent's WebSocket URL for a collector base URL: http→ws, https→wss, path /agent. */
export function agentUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/agent`;
}

/** What the API and the console show for installing an agent: one line for a root shell. */
export function installCommand(base: string, credential: { token: string } | { code: string }): string {
  const flag = 'token' in credential ? `--token ${credential.token}` : `--code ${credential.code}`;
  return `curl -fsSL ${base}/install/agent.sh | sudo sh -s -- ${flag}`;
}
