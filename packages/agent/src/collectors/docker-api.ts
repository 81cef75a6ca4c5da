/** Docker Engine API over its unix socket: plain requests and the event stream. */

/** An answer other than 2xx, or a socket problem, with what to do about the common one. */
export class DockerApiError extends Error {
  readonly status: number;
  constructor(path: string, status: number, message: string) {
    super(`docker ${path}: ${message}`);
    this.name = 'DockerApiError';
    this.status = status;
  }
}

function socketError(socketPath: string, path: string, err: NodeJS.ErrnoException): DockerApiError {
  const hint =
    err.code === 'EACCES'
      ? `; the agent's user cannot open ${socketPath}: give it the socket's group (docker run --group-add "$(stat -c %g ${socketPath})")`
      : '';
  return new DockerApiError(path, 0, `${err.message}${hint}`);
}

export interface DockerRequest {
  method?: 'GET' | 'POST';
  timeoutMs?: number;
}

/** One request; resolves with the parsed JSON body (undefined for an empty 204). */
export async function dockerRequest<T>(
  socketPath: string,
  path: string,
  options: DockerRequest = {},
): Promise<T> {
  // Loaded on the first Docker request: hosts without Docker never need node:http.
  const { request } = await import('node:http');
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: options.method ?? 'GET', timeout: timeoutMs, headers: { host: 'docker' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const message = (() => {
              try {
                return (JSON.parse(body) as { message?: string }).message ?? body;
              } catch {
                return body;
              }
            })();
            reject(new DockerApiError(path, status, `HTTP ${status} ${message.slice(0, 200).trim()}`));
            return;
          }
          if (body.trim() === '') {
            resolve(undefined as T);
            return;
          }
          try {
            resolve(JSON.parse(body) as T);
          } catch (err) {
            reject(new DockerApiError(path, status, `bad JSON: ${(err as Error).message}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err instanceof DockerApiError ? err : socketError(socketPath, path, err)),
    );
    req.end();
  });
}

/** The parts of a Docker event the agent uses. */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
}

/**
 * Follows GET /events (container events only) until `stop()`; each event goes to `onEvent`.
 * `onEnd` is told when the stream ends or fails, so the caller can reconnect.
 */
export async function followEvents(
  socketPath: string,
  onEvent: (event: DockerEvent) => void,
  onEnd: (err?: Error) => void,
): Promise<{ stop(): void }> {
  const { request } = await import('node:http');
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
  const path = `/events?filters=${filters}`;
  let stopped = false;
  const req = request({ socketPath, path, headers: { host: 'docker' } }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      onEnd(new DockerApiError(path, res.statusCode ?? 0, `HTTP ${res.statusCode}`));
      return;
    }
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      // One JSON object per line; a partial line waits for the rest.
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        try {
          onEvent(JSON.parse(line) as DockerEvent);
        } catch {
          // A line that is not JSON is skipped; the next stats round corrects any state.
        }
      }
      if (buffer.length > 1024 * 1024) buffer = '';
    });
    res.on('end', () => stopped || onEnd());
    res.on('error', (err) => stopped || onEnd(err));
  });
  req.on('error', (err: NodeJS.ErrnoException) => stopped || onEnd(socketError(socketPath, path, err)));
  req.end();
  return {
    stop() {
      stopped = true;
      req.destroy();
    },
  };
}
