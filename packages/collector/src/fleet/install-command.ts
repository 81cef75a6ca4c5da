import { readFileSync } from 'node:fs';
import { PantauError } from '@pantau/shared';

/** The agent's WebSocket URL for a collector base URL: http→ws, https→wss, path /agent. */
export function agentUrl(base: string): string {
  return `${base.replace(/^http/, 'ws')}/agent`;
}

function isLoopback(base: string): boolean {
  const host = new URL(base).hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Where the install command puts the private CA on the host, in the directory it is run from. */
const CA_ON_HOST = 'pantau-ca.pem';

/**
 * What the API and the console show for installing an agent: one line for a root shell. A
 * plain-HTTP collector on another machine gets `--insecure` spelled out, since the agent
 * refuses ws:// there otherwise: the command works, and says what it gives up. With a private
 * CA (`install.caFile`) the line first writes that CA from base64 it carries, then trusts it for
 * the download (`curl --cacert`) and the agent (`--ca-file`): the host needs nothing beforehand.
 */
export function installCommand(
  base: string,
  credential: { token: string } | { code: string },
  ca: string | null = null,
): string {
  const flag = 'token' in credential ? `--token ${credential.token}` : `--code ${credential.code}`;
  const insecure = base.startsWith('http://') && !isLoopback(base) ? ' --insecure' : '';
  if (ca === null) return `curl -fsSL ${base}/install/agent.sh | sudo sh -s -- ${flag}${insecure}`;
  const pem = Buffer.from(ca).toString('base64');
  return `echo ${pem} | base64 -d > ${CA_ON_HOST} && curl -fsSL --cacert ${CA_ON_HOST} ${base}/install/agent.sh | sudo sh -s -- ${flag} --ca-file ${CA_ON_HOST}${insecure}`;
}

/** The PEM that `install.caFile` names, read once at start; a missing or non-PEM file stops the start. */
export function readInstallCa(file: string | null): string | null {
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PantauError('INVALID_CONFIG', `install.caFile: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new PantauError('INVALID_CONFIG', `install.caFile: ${file} holds no PEM certificate`);
  return text;
}
