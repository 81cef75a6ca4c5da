import type { JSX } from 'preact';

/** The input attributes the forms set on a text field; the rest is the browser's default. */
interface InputAttributes {
  type?: 'text' | 'number' | 'password' | 'datetime-local';
  name?: string;
  autocomplete?: string;
  placeholder?: string;
  title?: string;
  pattern?: string;
  required?: boolean;
  disabled?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: string;
  max?: string;
  step?: string;
}

/** A labelled text input bound to one string: the forms' name, address, pattern and such fields. */
export function TextField({
  label,
  value,
  onValue,
  wide,
  ...input
}: InputAttributes & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** Takes the row's free width (long values: descriptions, patterns). */
  wide?: boolean;
}) {
  return (
    <label class={wide ? 'grow' : undefined}>
      {label}
      {/* Preact types an input's attributes per `type`; these suit every type listed above. */}
      <input
        {...(input as JSX.IntrinsicElements['input'])}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}
