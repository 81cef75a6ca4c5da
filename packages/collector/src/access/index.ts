import type { Database } from 'better-sqlite3';
import type { EventBus } from '../events.ts';
import type { AuditLog } from '../store/audit.ts';
import { ActorNames } from './actor-names.ts';
import { TokenAuthenticator } from './authenticate.ts';
import { ContactPoints } from './contact-repo.ts';
import { TelegramClaims } from './telegram-claims.ts';
import { TokenRepo } from './token-repo.ts';
import { Tokens } from './tokens.ts';
import { UserRepo } from './user-repo.ts';
import { Users } from './users.ts';

export interface AccessOptions {
  db: Database;
  audit: AuditLog;
  events: EventBus;
  /** The config's extra admin token, or null. */
  adminToken: string | null;
  /** How long a rejected applicant waits before applying again, ms. */
  rejectCooldown: number;
  now?: () => number;
}

/** People and credentials: the commands every surface calls, and token authentication. */
export interface Access {
  users: Users;
  tokens: Tokens;
  auth: TokenAuthenticator;
  /** One-time codes that make a Telegram user the first admin. */
  claims: TelegramClaims;
  /** The repositories, for readers such as the notify fanout (commands are the only writers). */
  repos: { users: UserRepo; tokens: TokenRepo };
  /** Actor ids as the names people read. */
  names: ActorNames;
}

export function buildAccess(o: AccessOptions): Access {
  const repos = { users: new UserRepo(o.db), tokens: new TokenRepo(o.db) };
  const users = new Users({
    db: o.db,
    users: repos.users,
    contacts: new ContactPoints(o.db),
    audit: o.audit,
    events: o.events,
    rejectCooldown: o.rejectCooldown,
    ...(o.now ? { now: o.now } : {}),
  });
  return {
    repos,
    names: new ActorNames(repos.users, repos.tokens),
    auth: new TokenAuthenticator(repos.tokens, o.adminToken),
    users,
    claims: new TelegramClaims({ db: o.db, users, audit: o.audit, ...(o.now ? { now: o.now } : {}) }),
    tokens: new Tokens({ db: o.db, tokens: repos.tokens, users: repos.users, audit: o.audit }),
  };
}
