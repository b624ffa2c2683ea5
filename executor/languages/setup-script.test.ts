import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultCatalogueFile, readCatalogueFile } from './catalogue.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remcode-setup-'));
  // A stand-in dpkg-query that records each package asked about and says it is installed, so the
  // step checks every package without installing anything.
  await writeFile(
    join(dir, 'dpkg-query'),
    `#!/bin/sh\nfor last; do :; done\necho "$last" >> "${join(dir, 'asked')}"\nprintf 'install ok installed'\n`,
  );
  await chmod(join(dir, 'dpkg-query'), 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('the languages setup step installs exactly the packages the catalogue lists', async () => {
  await promisify(execFile)('bash', ['scripts/setup.d/30-languages.sh'], {
    cwd: root,
    env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
  });
  const asked = (await readFile(join(dir, 'asked'), 'utf8')).trim().split('\n').sort();
  const listed = new Set(
    (await readCatalogueFile(defaultCatalogueFile())).flatMap((language) => language.packages),
  );
  expect(asked).toEqual([...listed].sort());
});
