import { createServer, type Server } from 'node:http';

/** One small web backend: answers every GET with its name; stop() and start() simulate an outage. */
export class Backend {
  readonly name: string;
  readonly port: number;
  #server: Server | null = null;

  constructor(name: string, port: number) {
    this.name = name;
    this.port = port;
  }

  get running(): boolean {
    return this.#server !== null;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${this.name} answered ${req.method} ${req.url}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
