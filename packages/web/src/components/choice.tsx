/** An option: its value, or [value, what the menu shows]. */
export type Option<V extends string> = V | readonly [V, string];

interface ChoiceProps<V extends string> {
  value: V;
  options: readonly Option<V>[];
  onChange: (value: V) => void;
  /** A visible label around the menu (forms); toolbars name the menu with `ariaLabel` instead. */
  label?: string;
  ariaLabel?: string;
}

/** A drop-down menu of fixed options, typed by their values. */
export function Choice<V extends string>({ value, options, onChange, label, ariaLabel }: ChoiceProps<V>) {
  const menu = (
    <select aria-label={ariaLabel} value={value} onChange={(e) => onChange(e.currentTarget.value as V)}>
      {options.map((o) => {
        const [v, text] = typeof o === 'string' ? [o, o] : o;
        return (
          <option key={v} value={v}>
            {text}
          </option>
        );
      })}
    </select>
  );
  if (label === undefined) return menu;
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the select in `menu`
    <label>
      {label}
      {menu}
    </label>
  );
}
