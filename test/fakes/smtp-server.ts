import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { until } from '../support/until.ts';

/** A message as the fake received it, with the parts a test looks at decoded. */
export interface CapturedMail {
  /** MAIL FROM and RCPT TO addresses. */
  envelope: { from: string; to: string[] };
  /** Header names in lower case, values unfolded and decoded. */
  headers: Map<string, string>;
  subject: string;
  /** The text/plain part, decoded; "" when absent. */
  text: string;
  /** The text/html part, decoded; "" when absent. */
  html: string;
  raw: string;
  /** Whether the session ran over TLS (STARTTLS). */
  secure: boolean;
  /** The AUTH user, when the client logged in. */
  user: string | undefined;
  at: number;
}

/** Refuse matching transactions with an SMTP error, `times` times or during `forMs` from now. */
export interface SmtpRefusal {
  /** SMTP reply code; 4xx is temporary, 5xx permanent. Default 451. */
  code?: number;
  message?: string;
  /** Which command gets the error. Default "mail" (MAIL FROM). */
  stage?: 'mail' | 'rcpt' | 'data';
  times?: number;
  forMs?: number;
}

export interface FakeSmtpOptions {
  /** AUTH credentials the server accepts; without them AUTH is optional. */
  user?: string;
  pass?: string;
  /** Offer STARTTLS (with smtp-server's bundled self-signed certificate). Default true. */
  starttls?: boolean;
}

/**
 * A fake SMTP server on 127.0.0.1, port 0, built on the smtp-server package. With STARTTLS on, AUTH
 * is only accepted after the upgrade, so a message that arrives proves the client used both.
 * Clients must accept the self-signed certificate (`tls: { rejectUnauthorized: false }`).
 */
export class FakeSmtpServer {
  readonly host = '127.0.0.1';
  readonly user: string | undefined;
  readonly pass: string | undefined;
  readonly mails: CapturedMail[] = [];
  /** Transactions refused so far (each refusal once). */
  readonly refused: { at: number; code: number; stage: string }[] = [];
  /** Connection errors, e.g. ECONNRESET from a collector process a test killed mid-session. */
  readonly errors: Error[] = [];
  readonly #server: SMTPServer;
  #refusals: (Omit<SmtpRefusal, 'forMs'> & { until?: number })[] = [];
  #port = 0;

  private constructor(options: FakeSmtpOptions) {
    this.user = options.user;
    this.pass = options.pass;
    const starttls = options.starttls ?? true;
    const auth = options.user !== undefined;
    this.#server = new SMTPServer({
      secure: false,
      logger: false,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !auth,
      allowInsecureAuth: !starttls,
      disabledCommands: starttls ? [] : ['STARTTLS'],
      onAuth: (credentials, _session, callback) => {
        if (credentials.username === this.user && credentials.password === this.pass) {
          callback(null, { user: credentials.username });
        } else {
          callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        }
      },
      onMailFrom: (_address, _session, callback) => callback(this.#refusal('mail')),
      onRcptTo: (_address, _session, callback) => callback(this.#refusal('rcpt')),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const refusal = this.#refusal('data');
          if (refusal === null) this.mails.push(capture(Buffer.concat(chunks).toString('utf8'), session));
          callback(refusal);
        });
      },
    });
    // A client that vanishes mid-session is normal for a fake server; unhandled, it would fail the run.
    this.#server.on('error', (error: Error) => this.errors.push(error));
  }

  static async start(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
    const fake = new FakeSmtpServer(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#port = (fake.#server.server.address() as AddressInfo).port;
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** Refuses transactions with an SMTP error (see SmtpRefusal). */
  refuse(refusal: SmtpRefusal = {}): void {
    const { forMs, ...rest } = refusal;
    this.#refusals.push({ ...rest, ...(forMs === undefined ? {} : { until: Date.now() + forMs }) });
  }

  clearRefusals(): void {
    this.#refusals = [];
  }

  /** Waits until `find` returns a value (not undefined/false) and resolves with it. */
  waitFor<T>(find: (fake: this) => T | undefined | false, timeoutMs = 5_000, what?: string): Promise<T> {
    return until(what ?? 'the fake SMTP server', () => find(this), timeoutMs);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #refusal(stage: 'mail' | 'rcpt' | 'data'): Error | null {
    const now = Date.now();
    this.#refusals = this.#refusals.filter(
      (r) => (r.times === undefined || r.times > 0) && (r.until === undefined || now < r.until),
    );
    const rule = this.#refusals.find((r) => (r.stage ?? 'mail') === stage);
    if (rule === undefined) return null;
    if (rule.times !== undefined) rule.times -= 1;
    const code = rule.code ?? 451;
    this.refused.push({ at: now, code, stage });
    return Object.assign(new Error(rule.message ?? (code < 500 ? 'Try again later' : 'Rejected')), {
      responseCode: code,
    });
  }
}

function capture(raw: string, session: SMTPServerSession): CapturedMail {
  const part = parsePart(raw);
  const bodies = { text: '', html: '' };
  collectBodies(part, bodies);
  return {
    envelope: {
      from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
      to: session.envelope.rcptTo.map((r) => r.address),
    },
    headers: part.headers,
    subject: part.headers.get('subject') ?? '',
    text: bodies.text,
    html: bodies.html,
    raw,
    secure: session.secure,
    user: typeof session.user === 'string' ? session.user : undefined,
    at: Date.now(),
  };
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Just enough MIME for what nodemailer writes: multipart nesting, quoted-printable, base64, encoded words. */
function parsePart(raw: string): Part {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body };
}

function collectBodies(part: Part, into: { text: string; html: string }): void {
  const type = part.headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary !== undefined) {
    const pieces = part.body.split(`--${boundary}`).slice(1);
    for (const piece of pieces) {
      if (piece.startsWith('--')) break;
      collectBodies(parsePart(piece.replace(/^\r?\n/, '')), into);
    }
    return;
  }
  const decoded = decodeBody(part.body, part.headers.get('content-transfer-encoding') ?? '7bit');
  if (type.toLowerCase().startsWith('text/html')) into.html = decoded;
  else if (type.toLowerCase().startsWith('text/plain')) into.text = decoded;
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body.replace(/\r?\n$/, '').replace(/\r\n/g, '\n');
  }
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const input = text
    .replace(/=\r?\n/g, '')
    .replace(/\r?\n$/, '')
    .replace(/\r\n/g, '\n');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(input.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(input.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words such as =?UTF-8?Q?...?= and =?UTF-8?B?...?=. */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
