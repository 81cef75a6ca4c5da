import type { IncidentFacts, NotifyEvent } from '../notify/message.ts';
import { CONTAINER_WORDS, type ContainerProblem } from './containers.ts';
import type { Incident, Notice } from './incidents.ts';

/**
 * Words a notice for the notification outbox: what, which host, since when, the current value,
 * and who acknowledged it by name.
 */
export function toNotifyEvent(notice: Notice, personName: (actor: string) => string): NotifyEvent {
  const { incident, at } = notice;
  const hostName = notice.host?.name ?? `host ${incident.hostId}`;
  if (notice.type === 'change' || incident.kind === 'change') {
    return { type: 'text', at, title: incident.title, text: incident.detail };
  }
  const facts: IncidentFacts = {
    incidentId: incident.id,
    kind: incident.kind,
    severity: incident.severity,
    host: hostName,
    ...checkOf(incident),
    summary: incident.detail,
    since: incident.openedAt,
    ...(incident.value === null ? {} : { value: incident.value }),
  };
  switch (notice.type) {
    case 'opened':
      return { type: 'opened', at, ...facts };
    case 'reminder':
      return { type: 'reminder', at, count: Math.max(1, incident.notified - 1), ...facts };
    case 'acknowledged':
      return {
        type: 'acknowledged',
        at,
        by: incident.acknowledgedBy === null ? 'someone' : personName(incident.acknowledgedBy),
        ...(incident.acknowledgedBy === null ? {} : { byId: incident.acknowledgedBy }),
        ...facts,
      };
    case 'recovered':
      return { type: 'recovered', at, ...facts };
  }
}

/** The check or metric an incident is about, from its key (`check:<host>:<name>`, `threshold:<rule>:<host>:<subject>`). */
function checkOf(incident: Incident): { check?: string } {
  const parts = incident.key.split(':');
  if (incident.kind === 'service_down') return { check: parts.slice(2).join(':') };
  if (incident.kind === 'container') return { check: containerCheck(parts[2] ?? '', parts[3] ?? '') };
  if (incident.kind === 'threshold') {
    const subject = parts.slice(3).join(':');
    return { check: subject ? `${incident.ruleId} ${subject}` : incident.ruleId };
  }
  return {};
}

/** "backend-1 (stopped)": the container and what is wrong with it, for the message's Check line. */
function containerCheck(name: string, what: string): string {
  return `${name} (${CONTAINER_WORDS[what as ContainerProblem] ?? what})`;
}
