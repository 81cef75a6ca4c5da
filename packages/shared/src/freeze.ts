/**
 * Freezes a loaded configuration and everything in it, so no part of the program can change what
 * the rest read. Regular expressions stay as they are (freezing one breaks its `lastIndex`).
 */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
