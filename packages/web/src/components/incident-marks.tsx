import type { IncidentBody } from '@pantau/collector/api-types';
import { time } from '../format.ts';

/** What an incident card says at a glance: flapping, silenced until when, acknowledged by whom. */
export function IncidentMarks({ incident: i }: { incident: IncidentBody }) {
  const flapping = i.flappingSince !== null;
  const acknowledged = i.acknowledgedBy !== null && i.status !== 'open';
  if (!flapping && i.silencedUntil === null && !acknowledged) return null;
  return (
    <span class="marks" data-testid="incident-marks">
      {flapping && (
        <span class="badge mark-flapping" title={`flapping since ${time(i.flappingSince!)}`}>
          flapping
        </span>
      )}
      {i.silencedUntil !== null && (
        <span class="badge mark-silenced">silenced until {time(i.silencedUntil)}</span>
      )}
      {acknowledged && (
        <span class="badge inc-acknowledged">acknowledged by {i.acknowledgedByName ?? i.acknowledgedBy}</span>
      )}
    </span>
  );
}
