/** How a chart or a bot answer shows a value of each metric unit. */
export type ValueUnit = '%' | 'bytes' | 'bytes/s' | 'load';

const BYTE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; one decimal below 100 of a unit, none above. */
export function formatBytes(bytes: number): string {
  let value = Math.abs(bytes);
  let step = 0;
  while (value >= 1024 && step < BYTE_STEPS.length - 1) {
    value /= 1024;
    step += 1;
  }
  const shown = value >= 100 || step === 0 ? Math.round(value).toString() : value.toFixed(1);
  return `${bytes < 0 ? '-' : ''}${shown} ${BYTE_STEPS[step]}`;
}

export function formatValue(value: number, unit: ValueUnit): string {
  switch (unit) {
    case '%':
      return `${value >= 10 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} %`;
    case 'bytes':
      return formatBytes(value);
    case 'bytes/s':
      return `${formatBytes(value)}/s`;
    case 'load':
      return value.toFixed(2);
  }
}
