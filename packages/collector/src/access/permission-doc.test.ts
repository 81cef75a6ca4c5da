import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { permissionTable } from './permission-doc.ts';
import { can, PERMISSIONS, type Permission, ROLES } from './roles.ts';

describe('the permission table', () => {
  it('docs/security.md shows exactly the table in access/roles.ts', () => {
    const doc = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');
    const shown = /<!-- permissions:start -->\n([\s\S]*?)\n<!-- permissions:end -->/.exec(doc)?.[1];
    // Cells, not bytes: the formatter pads the columns.
    const cells = (table: string | undefined) =>
      (table ?? '')
        .split('\n')
        .filter((line) => !/^\|[\s|-]+\|$/.test(line))
        .map((line) =>
          line
            .split('|')
            .slice(1, -1)
            .map((cell) => cell.trim()),
        );
    expect(cells(shown), 'paste permissionTable() between the markers in docs/security.md').toEqual(
      cells(permissionTable()),
    );
  });

  it('roles are cumulative: whatever a role may, every higher role may too', () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      const allowed = ROLES.map((role) => can({ role }, permission));
      expect(allowed.indexOf(true)).toBe(ROLES.indexOf(PERMISSIONS[permission]));
      expect(allowed.slice(allowed.indexOf(true)).every(Boolean)).toBe(true);
    }
  });
});
