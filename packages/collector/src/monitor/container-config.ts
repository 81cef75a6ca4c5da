import { parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { DurationText } from './duration-text.ts';

const Globs = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 256 });

/** A CPU or memory limit for the containers whose names match. */
export const ContainerLimitInput = Type.Object(
  {
    /** Container names (`*` matches any run of characters). */
    names: Globs,
    /** CPU in % of one core, as `docker stats` (200 = two cores busy). */
    cpu: Type.Optional(Type.Number({ minimum: 0 })),
    /** Memory in MiB, without the page cache, as `docker stats`. */
    memoryMiB: Type.Optional(Type.Number({ minimum: 0 })),
    /** How long the value must stay at or above the limit. Default "1m". */
    for: Type.Optional(DurationText),
    severity: Type.Optional(
      Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
    ),
  },
  { additionalProperties: false },
);

/** `monitor.containers` in the config file. */
export const ContainerMonitorInput = Type.Object(
  {
    /**
     * Container names to watch (`*` matches any run of characters). With neither `names` nor
     * `labels`, every container is watched once it has been seen running.
     */
    names: Type.Optional(Globs),
    /** Labels that make a container watched, all of them, e.g. {"pantau.watch": "true"}. */
    labels: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 256 }))),
    /** A restart loop is this many restarts within `restartWindow`. Default 3. */
    restarts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Default "5m". */
    restartWindow: Type.Optional(DurationText),
    /** Per-container CPU and memory limits; every matching entry applies. Default none. */
    limits: Type.Optional(Type.Array(ContainerLimitInput, { maxItems: 256 })),
  },
  { additionalProperties: false },
);

export type ContainerMonitorInput = Static<typeof ContainerMonitorInput>;

export interface ContainerLimit {
  names: readonly string[];
  cpu?: number;
  memoryBytes?: number;
  forMs: number;
  severity: 'info' | 'warning' | 'critical';
}

export interface ContainerMonitorConfig {
  names: readonly string[];
  labels: Readonly<Record<string, string>>;
  restarts: number;
  restartWindowMs: number;
  limits: readonly ContainerLimit[];
}

export function resolveContainerMonitor(input: ContainerMonitorInput = {}): ContainerMonitorConfig {
  return Object.freeze({
    names: Object.freeze([...(input.names ?? [])]),
    labels: Object.freeze({ ...(input.labels ?? {}) }),
    restarts: input.restarts ?? 3,
    restartWindowMs: input.restartWindow ? parseDuration(input.restartWindow) : 5 * 60_000,
    limits: Object.freeze(
      (input.limits ?? []).map((l) =>
        Object.freeze({
          names: Object.freeze([...l.names]),
          ...(l.cpu === undefined ? {} : { cpu: l.cpu }),
          ...(l.memoryMiB === undefined ? {} : { memoryBytes: Math.round(l.memoryMiB * 1024 * 1024) }),
          forMs: l.for ? parseDuration(l.for) : 60_000,
          severity: l.severity ?? 'warning',
        }),
      ),
    ),
  });
}
