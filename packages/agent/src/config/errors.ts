import { PantauError } from '@pantau/shared/lite';

/** A config problem: names the field and says what to change. The CLI prints it and exits 2. */
export class ConfigError extends PantauError {
  readonly field: string;
  readonly source: string;
  readonly problem: string;

  constructor(source: string, field: string, problem: string) {
    super('INVALID_CONFIG', `invalid config (${source}): ${field} ${problem}`, {
      details: { field, source },
    });
    this.name = 'ConfigError';
    this.field = field;
    this.source = source;
    this.problem = problem;
  }

  /** All problems of one load as one error: one line each, so one run shows every mistake. */
  static combine(errors: readonly ConfigError[]): ConfigError {
    const first = errors[0]!;
    if (errors.length === 1) return first;
    const combined = new ConfigError(first.source, first.field, first.problem);
    const lines = errors.map(
      (e) => `  - ${e.field} ${e.problem}${e.source === first.source ? '' : ` (from ${e.source})`}`,
    );
    combined.message = `invalid config (${first.source}): ${errors.length} problems:\n${lines.join('\n')}`;
    return combined;
  }
}
