import { CommandGroup } from '@grammyjs/commands';
import type { Api, Context } from 'grammy';
import type { Role } from '../access/roles.ts';
import { can, ROLES } from '../access/roles.ts';

/** The commands every active user has, as their menu and /help list them. */
export const COMMANDS = [
  { command: 'status', description: 'Fleet summary: up, down, incidents, busiest hosts' },
  { command: 'hosts', description: 'Hosts, optionally filtered: /hosts web, /hosts down, /hosts env=prod' },
  { command: 'cpu', description: 'CPU of a host: /cpu HOST' },
  { command: 'ram', description: 'Memory of a host: /ram HOST' },
  { command: 'system', description: 'OS, kernel, uptime, agent of a host' },
  { command: 'disk', description: 'Filesystems of a host, or the fullest in the fleet' },
  { command: 'top', description: 'Top processes of a host by CPU and memory' },
  { command: 'ports', description: 'Listening ports of a host' },
  { command: 'checks', description: 'Service checks of a host, or the failing ones' },
  { command: 'containers', description: 'Containers of a host' },
  { command: 'incidents', description: 'Open incidents' },
  { command: 'jobs', description: 'Recent jobs (/jobs mine for yours)' },
  { command: 'job', description: 'One job with a line per host: /job ID' },
  { command: 'chart', description: 'Chart: /chart cpu|memory|disk|net|load HOST 1h|6h|24h|7d|30d' },
  { command: 'help', description: 'What I can answer' },
] as const;

/** The menu of people outside (the default scope, and rejected or disabled chats): enough to register. */
export const guestMenu = new CommandGroup<Context>();
guestMenu.command('start', 'Register with this Pantau');
guestMenu.command('help', 'What I can answer');

const OPERATOR_COMMANDS = [
  { command: 'ack', description: 'Acknowledge an incident; reminders stop: /ack ID' },
  {
    command: 'silence',
    description: 'Hold back a host’s alerts: /silence HOST DURATION, e.g. /silence web-1 1h',
  },
  { command: 'unsilence', description: 'List silences, or end one: /unsilence [ID]' },
] as const;

/** One command group per role: what that role's private chat offers in Telegram's menu. */
function roleMenu(role: Role): CommandGroup<Context> {
  const group = new CommandGroup<Context>();
  for (const c of COMMANDS) group.command(c.command, c.description);
  group.command('me', 'Your name and role');
  group.command('notify', 'Your alerts: minimum severity, quiet hours, mute');
  if (can({ role }, 'incidents.ack'))
    for (const c of OPERATOR_COMMANDS) group.command(c.command, c.description);
  if (can({ role }, 'job.run')) group.command('activities', 'What you can run, with a button each');
  if (can({ role }, 'job.run'))
    group.command(
      'run',
      'Run an activity after a preview: /run ACTIVITY TARGETS [key=value ...], e.g. /run uptime web-*',
    );
  return group;
}

const ROLE_MENUS = new Map<Role, CommandGroup<Context>>(ROLES.map((role) => [role, roleMenu(role)]));

/** The menu one role sees (set per chat on approval, claim and every role change). */
export function menuFor(role: Role): CommandGroup<Context> {
  return ROLE_MENUS.get(role)!;
}

/**
 * Shows `group` as the menu of one private chat. The plugin's chat variant (`toArgs(chatId)`)
 * keeps each command's `default` scope type, which would replace everyone's menu, so the
 * plugin serializes the commands and the chat scope is given here.
 */
export async function setChatMenu(api: Api, group: CommandGroup<Context>, chatId: number): Promise<void> {
  const commands = group
    .toArgs()
    .scopes.flatMap((s) => s.commands)
    .map((c) => ({ command: c.command, description: c.description }));
  await api.setMyCommands(commands, { scope: { type: 'chat', chat_id: chatId } });
}
