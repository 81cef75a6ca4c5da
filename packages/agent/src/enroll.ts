import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { CONFIG_PATH, TOKEN_PATH } from './install.ts';
import { explainTlsError } from './transport/tls-advice.ts';

export interface EnrollOptions {
  /** The collector's address as the admin gave it: https://collector.example.com (ws/wss work too). */
  url: string;
  code: string;
  /** Host name to register; the code's name wins when the admin set one. */
  name: string;
  tokenFile: string;
  configFile: string;
  /** PEM file trusted for the collector's certificate. */
  caFile?: string;
  /** Allow plain http:// to an address that is not loopback. */
  insecure: boolean;
  /** Print the commands that install or run the agent next (default true; agent.sh installs by itself). */
  nextSteps?: boolean;
}

/** Enrollment problems the user fixes (bad URL, refused code): exit code 2. */
export class EnrollError extends Error {}

interface Answer {
  host?: { id: number; name: string };
  token?: string;
  error?: { code: string; message: string };
}

/** Base URL (http/https) and the agent URL (ws/wss …/agent) of a collector address. */
export function collectorUrls(text: string, insecure: boolean): { base: string; agent: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrollError(`${JSON.stringify(text)} is not a URL; write e.g. https://collector.example.com`);
  }
  const scheme = { 'http:': 'http', 'https:': 'https', 'ws:': 'http', 'wss:': 'https' }[url.protocol];
  if (!scheme) throw new EnrollError(`the collector URL must start with https:// (or http://), got ${text}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (scheme === 'http' && !loopback && !insecure)
    throw new EnrollError(
      `${text} is plain http:// to a host that is not loopback: the token would travel in clear text; use https:// or pass --insecure`,
    );
  const base = `${scheme}://${url.host}`;
  return { base, agent: `${scheme === 'https' ? 'wss' : 'ws'}://${url.host}/agent` };
}

async function post(
  url: string,
  body: unknown,
  ca: string | undefined,
): Promise<{ status: number; answer: Answer }> {
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        timeout: 30_000,
        // One request: no kept-alive socket holding the process open afterwards.
        agent: false,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let answer: Answer = {};
          try {
            answer = JSON.parse(text) as Answer;
          } catch {
            answer = { error: { code: 'INVALID_JSON', message: text.slice(0, 200) } };
          }
          resolve({ status: res.statusCode ?? 0, answer });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * Exchanges an enrollment code for this host's agent token, writes the token file (0600) and,
 * when none exists yet, a config pointing at the collector. Prints what it did.
 */
export async function enroll(options: EnrollOptions, print: (line: string) => void): Promise<void> {
  const { base, agent } = collectorUrls(options.url, options.insecure);
  let ca: string | undefined;
  if (options.caFile) {
    try {
      ca = readFileSync(options.caFile, 'utf8');
    } catch (err) {
      throw new EnrollError(`--ca-file ${options.caFile} cannot be read: ${(err as Error).message}`);
    }
  }
  let result: { status: number; answer: Answer };
  try {
    result = await post(`${base}/api/v1/enroll`, { code: options.code, name: options.name }, ca);
  } catch (err) {
    throw new Error(`cannot reach the collector at ${base}: ${explainTlsError(err as Error)}`);
  }
  const { status, answer } = result;
  if (status !== 201 || !answer.token || !answer.host) {
    const why = answer.error ? `${answer.error.code}: ${answer.error.message}` : `HTTP ${status}`;
    throw new EnrollError(`the collector refused the enrollment (${why})`);
  }
  mkdirSync(dirname(options.tokenFile), { recursive: true, mode: 0o755 });
  writeFileSync(options.tokenFile, `${answer.token}\n`, { mode: 0o600 });
  chmodSync(options.tokenFile, 0o600);
  print(
    `enrolled as host ${answer.host.name} (id ${answer.host.id}); token written to ${options.tokenFile} (mode 0600)`,
  );
  if (existsSync(options.configFile)) {
    print(`keep ${options.configFile} (exists); make sure its collector.urls and tokenFile match`);
  } else writeConfig(options, agent, print);
  if (options.nextSteps === false) return;
  const flags = [
    `--url ${agent}`,
    `--token-file ${options.tokenFile}`,
    ...(options.caFile ? [`--ca-file ${options.caFile}`] : []),
    ...(options.insecure ? ['--insecure'] : []),
  ].join(' ');
  print('next, install and start the service (program, systemd unit, this token; the config is kept):');
  print(`  sudo ${program()} install-service ${flags}`);
  print(`or try it in the foreground first: ${program()} run --config ${options.configFile}`);
}

/** This program as a command that works from any directory: the single executable, or Node and the script. */
function program(): string {
  const script = process.argv[1];
  return !script || resolve(script) === process.execPath
    ? process.execPath
    : `${process.execPath} ${resolve(script)}`;
}

function writeConfig(options: EnrollOptions, agent: string, print: (line: string) => void): void {
  const collector: Record<string, unknown> = { urls: [agent] };
  if (options.caFile) collector.caFile = options.caFile;
  if (options.insecure) collector.insecure = true;
  mkdirSync(dirname(options.configFile), { recursive: true, mode: 0o755 });
  writeFileSync(
    options.configFile,
    `# pantau-agent config; see docs/agent.md. Written by pantau-agent enroll.\n${stringify({ collector, tokenFile: options.tokenFile })}`,
    { mode: 0o644 },
  );
  print(`write ${options.configFile}`);
}

export const ENROLL_DEFAULTS = { tokenFile: TOKEN_PATH, configFile: CONFIG_PATH };
