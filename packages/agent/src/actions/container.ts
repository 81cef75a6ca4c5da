import { type BuiltinActionName, builtinAction } from '@pantau/shared/lite';
import { monotonicMs } from '../clock.ts';
import { DockerApiError, dockerRequest } from '../collectors/docker-api.ts';
import type { ActionContext, ApiAction } from './builtin.ts';
import type { RunResult } from './runner.ts';

const VERBS = {
  'container-start': 'start',
  'container-stop': 'stop',
  'container-restart': 'restart',
} as const satisfies Partial<Record<BuiltinActionName, string>>;
type ContainerActionName = keyof typeof VERBS;

const DONE: Record<ContainerActionName, string> = {
  'container-start': 'started',
  'container-stop': 'stopped',
  'container-restart': 'restarted',
};

/** How long Docker waits after SIGTERM before SIGKILL on stop and restart, s. */
const STOP_GRACE_S = 10;

function globMatch(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(text);
}

/** Why this host refuses to touch the container, or undefined when its patterns allow it. */
export function containerRefused(name: string, context: ActionContext): string | undefined {
  if (context.containers.some((pattern) => globMatch(pattern, name))) return undefined;
  const allowed = context.containers.length === 0 ? 'none' : context.containers.join(', ');
  return `container ${JSON.stringify(name)} is not allowed on this host (actions.containers: ${allowed}); its owner can add a pattern to the agent config`;
}

function containerAction(name: ContainerActionName): ApiAction {
  const builtin = builtinAction(name);
  if (!builtin) throw new Error(`${name} is missing from the shared action catalog`);
  const verb = VERBS[name];
  return {
    spec: builtin.spec,
    timeoutMs: builtin.timeoutMs,
    check: (values, context) => containerRefused(values.get('container') ?? '', context),
    run(values, context, { timeoutMs, onOutput }) {
      const container = values.get('container') ?? '';
      const started = monotonicMs();
      let cancelled = false;
      const query = verb === 'start' ? '' : `?t=${STOP_GRACE_S}`;
      const path = `/containers/${encodeURIComponent(container)}/${verb}${query}`;
      const result = (fields: Partial<RunResult>): RunResult => ({
        exitCode: 0,
        signal: null,
        durationMs: Math.round(monotonicMs() - started),
        truncated: false,
        droppedBytes: 0,
        timedOut: false,
        cancelled,
        ...fields,
      });
      const done = dockerRequest(context.dockerSocket, path, { method: 'POST', timeoutMs }).then(
        () => {
          onOutput('stdout', `container ${container} ${DONE[name]}\n`);
          return result({});
        },
        (err: Error) => {
          // 304: already in the asked state, which is what the person wanted.
          if (err instanceof DockerApiError && err.status === 304) {
            onOutput(
              'stdout',
              `container ${container} was already ${verb === 'start' ? 'running' : 'stopped'}\n`,
            );
            return result({});
          }
          onOutput('stderr', `${err.message}\n`);
          return result({ exitCode: 1, timedOut: /no answer within/.test(err.message), error: err.message });
        },
      );
      return {
        pid: undefined,
        // Docker finishes what it started; a cancel only marks the result.
        cancel: () => {
          cancelled = true;
        },
        // One line of output: nothing to hold back.
        pause: () => {},
        resume: () => {},
        done,
      };
    },
  };
}

export const CONTAINER_ACTIONS: readonly ApiAction[] = (Object.keys(VERBS) as ContainerActionName[]).map(
  containerAction,
);
