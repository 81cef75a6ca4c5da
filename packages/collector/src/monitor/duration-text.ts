import Type from 'typebox';

/** A duration as people write it in config and API bodies: "500ms", "10s", "5m", "1h", "7d", "1h30m". */
export const DurationText = Type.String({
  pattern: '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h|d))+\\s*$',
  maxLength: 32,
});
