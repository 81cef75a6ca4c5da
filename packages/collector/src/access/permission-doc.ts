import { PERMISSIONS, type Permission, ROLES } from './roles.ts';

/** What each permission allows, in words; a new permission does not compile without one. */
export const PERMISSION_DOCS: Record<Permission, string> = {
  'account.read': 'see who you are (`whoami`); set your own password',
  'hosts.read': 'hosts, live and historical metrics, processes, ports, checks, containers, `/metrics`',
  'incidents.read': 'incidents with their timeline, silences and maintenance windows',
  'activities.read': 'the activities that can be run',
  'jobs.read': 'jobs, their per-host results and output',
  'rules.read': 'alert rules: built-in, config and API',
  'incidents.ack': 'acknowledge and resolve incidents',
  'silences.manage': 'silence notifications from now, end a silence',
  'maintenance.manage': 'schedule and end maintenance windows',
  'hosts.label': "replace a host's labels",
  'job.run': 'start a job of a non-dangerous activity; cancel your own jobs',
  'job.run.dangerous': 'start a job of a dangerous activity (reboot, shutdown, apt-upgrade, …)',
  'job.approve': "approve another admin's dangerous job (four-eyes mode)",
  'job.cancel.any': "cancel anybody's job",
  'hosts.manage': 'add and remove hosts, rotate and revoke agent tokens',
  'activities.manage': 'create, edit and remove activities',
  'users.manage':
    "approve, reject, add, disable, enable and remove users; change roles; set anybody's password",
  'tokens.manage': 'create, list and revoke API tokens',
  'rules.manage': 'create, replace and delete API alert rules',
  'recipients.manage': 'notification recipients: sinks and contact points',
  'notifications.read': 'the notification outbox and its delivery attempts',
  'audit.read': 'the audit log',
};

/** The permission table as Markdown, for docs/security.md (a test keeps the two equal). */
export function permissionTable(): string {
  const rows = (Object.keys(PERMISSIONS) as Permission[])
    .sort((a, b) => ROLES.indexOf(PERMISSIONS[a]) - ROLES.indexOf(PERMISSIONS[b]) || a.localeCompare(b))
    .map((p) => `| \`${p}\` | ${PERMISSIONS[p]} | ${PERMISSION_DOCS[p]} |`);
  return ['| permission | least role | allows |', '| --- | --- | --- |', ...rows].join('\n');
}
