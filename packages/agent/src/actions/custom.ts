import type { CustomActionConfig } from '../config/types.ts';
import type { CommandAction } from './builtin.ts';
import { substitute } from './params.ts';

/** A custom action from the config: its argv with `{{param}}` elements replaced by checked values. */
export function customAction(config: CustomActionConfig): CommandAction {
  return {
    spec: {
      name: config.name,
      ...(config.description ? { description: config.description } : {}),
      dangerous: config.dangerous,
      params: [...config.params],
    },
    argv: (values) => substitute(config.argv, values),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  };
}
