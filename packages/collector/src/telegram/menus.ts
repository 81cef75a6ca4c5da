import type { BotCommand } from 'grammy/types';
import type { Role } from '../access/roles.ts';
import { can } from '../access/roles.ts';
import { COMMANDS } from './features/help.ts';

/** The commands people outside see: enough to register. */
export const GUEST_COMMANDS: BotCommand[] = [
  { command: 'start', description: 'Register with this Pantau' },
  { command: 'help', description: 'What I can answer' },
];

const OPERATOR_COMMANDS: BotCommand[] = [
  { command: 'ack', description: 'Acknowledge an incident: /ack ID' },
  { command: 'silence', description: 'Silence a host: /silence HOST 1h' },
  { command: 'unsilence', description: 'End a silence' },
];

/** The menu one role sees (set per chat on approval and on every role change). */
export function commandsFor(role: Role): BotCommand[] {
  const commands: BotCommand[] = COMMANDS.map((c) => ({ command: c.command, description: c.description }));
  commands.push({ command: 'me', description: 'Your name and role' });
  commands.push({ command: 'notify', description: 'Your alerts: minimum severity, quiet hours, mute' });
  commands.push(
    { command: 'jobs', description: 'Recent jobs' },
    { command: 'job', description: 'One job: /job ID' },
  );
  if (can({ role }, 'incidents.ack')) commands.push(...OPERATOR_COMMANDS);
  if (can({ role }, 'job.run'))
    commands.push({ command: 'run', description: 'Run an activity: /run ACTIVITY TARGETS' });
  return commands;
}
