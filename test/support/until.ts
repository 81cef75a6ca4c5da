/**
 * The one way tests wait for something: polls `probe` until it returns a truthy value and returns
 * that value. A probe that throws counts as "not yet" (a server still starting refuses
 * connections); the last error is reported if time runs out. The failure names what was awaited,
 * so a failing test says what never happened; `what` may be a function to add state read at that
 * moment (a process's stderr, the frames seen so far).
 *
 * The timeout is an upper bound for a loaded 2-core machine, never a claim about speed: a test
 * passes as soon as the condition holds.
 */
export async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what();
      const cause = lastError === undefined ? '' : `; last attempt failed: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
