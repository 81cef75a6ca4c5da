import { type Signal, useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../../api.ts';

/** Runs an admin action and shows its label, or the error, in the page's notice. */
export type Act = (label: string, run: () => Promise<unknown>) => Promise<void>;

type ActionOptions = {
  /** Called with what `run` returned, before the label shows (e.g. a secret to show once). */
  onResult?: (result: unknown) => void;
  /** Called after a successful action (e.g. to reload the list). */
  after?: () => Promise<void>;
};

/** The notice line and `act` every admin page shares. */
export function useAdminAction(options: ActionOptions = {}): { message: Signal<string | null>; act: Act } {
  const message = useSignal<string | null>(null);
  const act: Act = async (label, run) => {
    try {
      const result = await run();
      options.onResult?.(result);
      message.value = label;
      await options.after?.();
    } catch (err) {
      message.value = errorText(err);
    }
  };
  return { message, act };
}

/** An admin list fetched from `path` (`{ items }`), loaded on mount and reloaded after each action. */
export function useAdminList<T>(
  path: string,
  options: Omit<ActionOptions, 'after'> = {},
): { items: Signal<T[]>; message: Signal<string | null>; act: Act; reload: () => Promise<void> } {
  const items = useSignal<T[]>([]);
  const reload = async () => {
    items.value = (await api<{ items: T[] }>(path)).items;
  };
  const { message, act } = useAdminAction({ ...options, after: reload });
  useEffect(() => {
    void reload().catch((err: unknown) => (message.value = errorText(err)));
  }, []);
  return { items, message, act, reload };
}
