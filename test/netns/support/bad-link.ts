// Bad links where the kernel lacks netem: random loss by dropping every packet of one direction
// in short random slots (tc pfifo limit 0, toggled through long-lived `tc -batch` processes),
// and delay by a TCP relay on the host end that holds every chunk before passing it on.
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Link } from './netns.ts';

/** Drops each direction of a link in `slotMs` slots, each slot dropped with probability `loss`. */
export class SlottedLoss {
  readonly #shells: { tc: ChildProcess; dev: string; dropping: boolean }[];
  readonly #timer: NodeJS.Timeout;

  constructor(link: Link, loss: number, slotMs = 25) {
    this.#shells = [
      {
        tc: spawn('tc', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] }),
        dev: link.hostIf,
        dropping: false,
      },
      {
        tc: spawn('ip', ['netns', 'exec', link.ns, 'tc', '-force', '-batch', '-'], {
          stdio: ['pipe', 'ignore', 'ignore'],
        }),
        dev: link.nsIf,
        dropping: false,
      },
    ];
    this.#timer = setInterval(() => {
      for (const shell of this.#shells) {
        const drop = Math.random() < loss;
        if (drop === shell.dropping) continue;
        shell.dropping = drop;
        shell.tc.stdin?.write(
          drop ? `qdisc replace dev ${shell.dev} root pfifo limit 0\n` : `qdisc del dev ${shell.dev} root\n`,
        );
      }
    }, slotMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(
      this.#shells.map(
        (shell) =>
          new Promise<void>((resolve) => {
            shell.tc.once('exit', () => resolve());
            shell.tc.stdin?.end(`qdisc del dev ${shell.dev} root\n`);
          }),
      ),
    );
  }
}

/** Listens on `host:0` and relays to `target`, holding every chunk `delayMs` in each direction. */
export class DelayRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(
    host: string,
    target: { host: string; port: number },
    delayMs: number,
  ): Promise<DelayRelay> {
    const relay = new DelayRelay(
      createServer((client) => {
        const upstream = createConnection(target);
        relay.#track(client);
        relay.#track(upstream);
        const pipe = (from: Socket, to: Socket) => {
          from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
          from.on('end', () => setTimeout(() => to.end(), delayMs));
          from.on('error', () => to.destroy());
          from.on('close', () => setTimeout(() => to.destroy(), delayMs + 10));
        };
        pipe(client, upstream);
        pipe(upstream, client);
      }),
    );
    await new Promise<void>((resolve) => relay.#server.listen(0, host, resolve));
    relay.port = (relay.#server.address() as { port: number }).port;
    return relay;
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
