import { describe, expect, it } from 'vitest';
import { ROLES } from '../access/roles.ts';
import { guestMenu, menuFor } from './menus.ts';

describe('per-role command menus', () => {
  it('every menu passes the plugin’s Bot API checks and names each command once', () => {
    for (const group of [guestMenu, ...ROLES.map(menuFor)]) {
      const { scopes, uncompliantCommands } = group.toArgs();
      expect(uncompliantCommands).toEqual([]);
      const names = scopes.flatMap((s) => s.commands.map((c) => c.command));
      expect(new Set(names).size).toBe(names.length);
      expect(names.length).toBeLessThanOrEqual(100);
    }
  });

  it('roles are cumulative: each menu holds the one below it, and only operators and admins may /run', () => {
    const names = (role: (typeof ROLES)[number]) => menuFor(role).commands.map((c) => c.stringName);
    expect(names('operator')).toEqual(expect.arrayContaining(names('viewer')));
    expect(names('admin')).toEqual(expect.arrayContaining(names('operator')));
    expect(names('viewer')).not.toContain('run');
    expect(names('viewer')).not.toContain('ack');
    expect(names('operator')).toContain('run');
    expect(guestMenu.commands.map((c) => c.stringName)).toEqual(['start', 'help']);
  });
});
