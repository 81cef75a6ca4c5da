import { describe, expect, it } from 'vitest';
import { demand, userActor } from './actor.ts';
import { needsRole } from './roles.ts';

describe('needsRole: the one wording of a too-low role', () => {
  it('names who asked, or speaks to them', () => {
    expect(needsRole('audit.read', 'admin', { name: 'ann', role: 'viewer' })).toBe(
      'audit.read needs the admin role; ann has viewer',
    );
    expect(needsRole('this', 'operator', { role: 'viewer' })).toBe(
      'this needs the operator role; you are viewer',
    );
  });

  it('is what a command refuses with', () => {
    const ann = userActor({ id: 1, name: 'ann', role: 'viewer' }, 'api');
    expect(() => demand(ann, 'audit.read')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: needsRole('audit.read', 'admin', ann) }),
    );
  });
});
