import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { CORRECTION_PATH_PATTERN, correctionPath, sha256Hex } from '../../src/lib/records/paths.ts';

describe('sha256Hex', () => {
  // ASCII, the last ASCII code, the first codes past it, a pair, a lone surrogate (UTF-8 has no form for it: U+FFFD, as TextEncoder says), past the short-text path.
  it.each(['', 'sftc_b5505e86f70999cf', '\x7f', '\x80', 'é', 'ann@exämple.org', '😀 x', 'a\ud800b', 'x'.repeat(256), 'x'.repeat(257), `${'x'.repeat(255)}é`])(
    "hashes %j as Node's crypto does: its UTF-8 bytes",
    (text) => {
      expect(sha256Hex(text)).toBe(
        createHash('sha256')
          .update(Buffer.from(new TextEncoder().encode(text)))
          .digest('hex'),
      );
    },
  );
});

describe('correctionPath', () => {
  it('derives a sharded path from the candidate id and the reviewer email', () => {
    const path = correctionPath('sftc_b5505e86f70999cf', 'ann@example.org');
    expect(path).toBe('corrections/7f/7f454a0f1457c389--ann-438c4c7a.json');
    expect(path).toMatch(CORRECTION_PATH_PATTERN);
  });

  it('gives two reviewers of one candidate two files in the same shard', () => {
    const a = correctionPath('c1', 'ann@example.org');
    const b = correctionPath('c1', 'bob@example.org');
    expect(a).not.toBe(b);
    expect(posix.dirname(a)).toBe(posix.dirname(b));
  });

  it('treats the email case- and space-insensitively, as one reviewer', () => {
    expect(correctionPath('c1', ' Ann@Example.ORG ')).toBe(correctionPath('c1', 'ann@example.org'));
  });

  it.each(['../../etc/passwd', '/abs/path', '.git/config', 'con', 'trailing. ', 'a/../../b', '\u2025/x', 'x'.repeat(10_000), ''])(
    'keeps a hostile id %j inside corrections/',
    (id) => {
      const path = correctionPath(id, '../../evil@example.org');
      expect(path).toMatch(CORRECTION_PATH_PATTERN);
      expect(posix.normalize(path)).toBe(path);
      expect(path.startsWith('corrections/')).toBe(true);
    },
  );

  it('spreads candidates over 256 shards', () => {
    const shards = new Set(Array.from({ length: 5000 }, (_, i) => correctionPath(`c${i}`, 'a@b.org').split('/')[1]));
    expect(shards.size).toBe(256);
  });
});
