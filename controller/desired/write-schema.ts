/**
 * Writes the editor JSON Schema of the desired-state file, generated from the same TypeBox source the
 * controller validates with. `npm run controller:schema`; a unit test fails when the file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { jsonSchema } from './schema.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../manifests/remcode.schema.json', import.meta.url));

export async function renderSchema(): Promise<string> {
  return format(JSON.stringify(jsonSchema()), { parser: 'json', printWidth: 110 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(SCHEMA_FILE, await renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
