import { describe, expect, it } from 'vitest';
import { maskText, maskUrlPasswords } from '../../src/env/mask.js';

describe('maskUrlPasswords', () => {
  it('masks a password with an unencoded @ up to the host, leaking none of it', () => {
    expect(maskUrlPasswords('postgres://u:p@ss@host/db')).toBe('postgres://u:****@host/db');
    expect(maskUrlPasswords('postgres://u:a@b@c@host:5432/db?x=1')).toBe('postgres://u:****@host:5432/db?x=1');
    expect(maskUrlPasswords('DATABASE_URL=postgres://u:p@ss@host')).toBe('DATABASE_URL=postgres://u:****@host');
    expect(maskText('cannot reach postgres://u:p@ss@host/db now', [])).toBe('cannot reach postgres://u:****@host/db now');
  });

  it('keeps the host when an @ comes after it (a path, a query, another JSON field)', () => {
    expect(maskUrlPasswords('https://u:pw@host/path?email=a@b.com')).toBe('https://u:****@host/path?email=a@b.com');
    expect(maskUrlPasswords('postgres://u:pw@host?email=a@b.com')).toBe('postgres://u:****@host?email=a@b.com');
    expect(maskUrlPasswords('{"a":"redis://u:pw@h:6379","b":"c@d"}')).toBe('{"a":"redis://u:****@h:6379","b":"c@d"}');
    expect(maskUrlPasswords('postgres://u:pw@h/db and redis://:rpw@r:6379')).toBe('postgres://u:****@h/db and redis://:****@r:6379');
  });

  it('shows a ${VAR} or $(VAR) reference in the password place as it is: a name, not a value', () => {
    expect(maskUrlPasswords('postgres://app:${POSTGRES_PASSWORD}@postgres:5432/app')).toBe('postgres://app:${POSTGRES_PASSWORD}@postgres:5432/app');
    expect(maskUrlPasswords('redis://:$(REDIS_PASSWORD)@redis:6379')).toBe('redis://:$(REDIS_PASSWORD)@redis:6379');
    expect(maskUrlPasswords('postgres://app:x${POSTGRES_PASSWORD}@postgres/app')).toBe('postgres://app:****@postgres/app');
  });

  it('leaves URLs without a password and paths with an @ alone', () => {
    for (const text of ['postgres://u@host/db', 'https://registry.npmjs.org:443/@types/node', 'postgres://host:5432/db', 'mail me: a@b.com']) {
      expect(maskUrlPasswords(text)).toBe(text);
    }
  });
});

describe('a database URL pg cannot read', () => {
  it('is shown without any part of its password, even one with a / that text masking stops at', async () => {
    const { invalidUrl } = await import('../../src/db/url.js');
    for (const url of ['postgres://u:pa/ss-secret@host/db', 'postgres://u:p?ss-secret@host/db', 'postgres://u:p@ss-secret@host:xx/db']) {
      const message = invalidUrl(url, '--database-url', new Error('Invalid URL')).message;
      expect(message).toContain('postgres://u:****@host');
      expect(message).not.toMatch(/ss-secret|pa\/|p\?/);
    }
  });
});
describe('masking short secrets', () => {
  it('masks a short value wherever it stands alone, and leaves the words that merely contain it', () => {
    expect(maskText('refusing (db.example.com) hint: pass --force "p" p', ['p'])).toBe('refusing (db.example.com) hint: pass --force "****" ****');
    expect(maskText('client sent token ab1!x, POSTGRES_PASSWORD: abc12', ['ab1!x', 'abc12'])).toBe('client sent token ****, POSTGRES_PASSWORD: ****');
    // Characters that mean something in a regular expression are taken literally.
    expect(maskText('a.b axb [x] (x)', ['a.b', '[x]'])).toBe('**** axb **** (x)');
    // From six characters on, every occurrence.
    expect(maskText('xsecret6y', ['secret6'])).toBe('x****y');
  });
});
