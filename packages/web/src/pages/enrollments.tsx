import type { EnrollmentBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { api, can } from '../api.ts';
import { Choice } from '../components/choice.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Notice } from '../components/status.tsx';
import { TextField } from '../components/text-field.tsx';
import { time } from '../format.ts';
import { parseLabels } from './admin/hosts.tsx';
import { useAdminList } from './admin/use-admin-list.ts';

const TTLS = [
  ['15m', '15 minutes'],
  ['1h', '1 hour'],
  ['1d', '1 day'],
  ['7d', '7 days'],
] as const;
type Ttl = (typeof TTLS)[number][0];

/** What POST /enrollments answers: the code and the commands that use it, shown only then. */
interface Created {
  code: string;
  install: string;
  enroll: string;
  enrollment: EnrollmentBody;
}

/** Enrollment codes: make one for a new host (shown once, with its install command), list, revoke. */
export function EnrollmentsPage() {
  return (
    <div class="page">
      <h1>Enroll hosts</h1>
      {can('hosts.manage') ? <Enrollments /> : <p>Your role cannot make enrollment codes.</p>}
    </div>
  );
}

function Enrollments() {
  const made = useSignal<Created | null>(null);
  const { items, message, act } = useAdminList<EnrollmentBody>('/enrollments?limit=100', {
    // Only a create returns a code; any other action hides the one shown before.
    onResult: (result) =>
      (made.value = result && typeof result === 'object' && 'code' in result ? (result as Created) : null),
  });
  const name = useSignal('');
  const labels = useSignal('');
  const ttl = useSignal<Ttl>('15m');
  return (
    <section>
      <p class="muted">
        A code lets one new host register itself, once, within its lifetime: no agent token to paste around.
      </p>
      <Notice message={message.value} />
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = {
            ...(name.value.trim() ? { name: name.value.trim() } : {}),
            labels: parseLabels(labels.value),
            ttl: ttl.value,
          };
          void act('enrollment code created', () => api<Created>('/enrollments', { method: 'POST', body }));
        }}
      >
        <TextField
          label="host name (empty: its hostname)"
          pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
          maxLength={128}
          value={name.value}
          onValue={(v) => (name.value = v)}
        />
        <TextField
          label="labels"
          placeholder="env=prod, role=web"
          value={labels.value}
          onValue={(v) => (labels.value = v)}
        />
        <Choice label="valid for" value={ttl.value} options={TTLS} onChange={(v) => (ttl.value = v)} />
        <button type="submit">create code</button>
      </form>
      {made.value && (
        <div class="card token-once" data-testid="enrollment-once">
          <p>
            Code <b data-testid="enrollment-code">{made.value.code}</b>, shown only now; valid once until{' '}
            {time(made.value.enrollment.expiresAt)}. On the new host, as root:
          </p>
          <pre data-testid="enrollment-install">{made.value.install}</pre>
          <p class="muted">Or, where pantau-agent is installed already:</p>
          <pre data-testid="enrollment-enroll">{made.value.enroll}</pre>
        </div>
      )}
      <h2>Codes</h2>
      <DataTable
        testid="enrollments"
        rows={items.value}
        rowKey={(e) => e.id}
        rowProps={(e) => ({ 'data-enrollment': e.id, 'data-status': e.status })}
        empty="No enrollment codes yet."
        columns={[
          { head: 'id', cell: (e) => e.id },
          { head: 'host', cell: (e) => e.name ?? <span class="muted">its hostname</span> },
          {
            head: 'labels',
            cell: (e) =>
              Object.entries(e.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ') || '–',
          },
          {
            head: 'status',
            cell: (e) =>
              e.status === 'used' && e.hostId !== null ? (
                <>
                  used by <a href={`/hosts/${e.hostId}`}>host {e.hostId}</a> from {e.usedFrom}
                </>
              ) : (
                e.status
              ),
          },
          { head: 'created by', cell: (e) => e.createdBy },
          { head: 'created', cell: (e) => time(e.createdAt) },
          { head: 'expires', cell: (e) => time(e.expiresAt) },
          {
            head: 'action',
            class: 'actions',
            cell: (e) =>
              e.status === 'pending' ? (
                <button
                  type="button"
                  aria-label={`revoke code ${e.id}`}
                  onClick={() =>
                    act(`code ${e.id} revoked`, () => api(`/enrollments/${e.id}`, { method: 'DELETE' }))
                  }
                >
                  revoke
                </button>
              ) : (
                '–'
              ),
          },
        ]}
      />
    </section>
  );
}
