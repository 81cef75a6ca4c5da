import type { Database } from 'better-sqlite3';
import { migration as initial } from './001-initial.ts';
import { migration as accounts } from './002-accounts.ts';
import { migration as webSessions } from './040-web-sessions.ts';
import { migration as passwordLinks } from './041-password-links.ts';
import { migration as enrollment } from './060-enrollment.ts';
import { migration as agentBoot } from './070-agent-boot.ts';
import { migration as containerHistory } from './080-container-history.ts';
import { migration as notify } from './100-notify.ts';
import { migration as contacts } from './101-contacts.ts';
import { migration as incidents } from './200-incidents.ts';
import { migration as numericHostIds } from './201-numeric-host-ids.ts';
import { migration as incidentFlapping } from './210-incident-flapping.ts';
import { migration as silenceHostPatterns } from './215-silence-host-patterns.ts';
import { migration as incidentKeyIndex } from './216-incident-key-index.ts';
import { migration as jobs } from './400-jobs.ts';
import { migration as jobPersons } from './401-job-persons.ts';
import { migration as telegram } from './500-telegram.ts';
import { migration as preferences } from './501-notify-preferences.ts';
import { migration as remoteWrite } from './600-remote-write.ts';

export interface Migration {
  /** Unique, ascending. The collector core owns 1–99, notifications 100–199, monitoring 200–299, jobs 400–499, the Telegram bot 500–599, remote write 600–699. */
  id: number;
  name: string;
  up(db: Database): void;
}

/** Every migration, in any order: the runner sorts by id. */
export const migrations: Migration[] = [
  initial,
  accounts,
  webSessions,
  passwordLinks,
  enrollment,
  agentBoot,
  containerHistory,
  notify,
  contacts,
  incidents,
  numericHostIds,
  incidentFlapping,
  silenceHostPatterns,
  incidentKeyIndex,
  jobs,
  jobPersons,
  telegram,
  preferences,
  remoteWrite,
];
