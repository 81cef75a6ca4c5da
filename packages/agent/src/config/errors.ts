import { PantauError } from '@pantau/shared/lite';

/** A config problem: names the field and says what to change. The CLI prints it and exits 2. */
export class ConfigError extends PantauError {
  readonly field: string;
  readonly source: string;

  constructor(source: string, field: string, problem: string) {
    super('INVALID_CONFIG', `invalid config (${source}): ${field} ${problem}`, {
      details: { field, source },
    });
    this.name = 'ConfigError';
    this.field = field;
    this.source = source;
  }
}
