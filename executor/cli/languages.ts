/**
 * Prints the languages this installation can run, one `id version` line each, as the executor detects
 * them at start (its catalogue, each tool's real version). `node dist/executor/cli/languages.js` inside
 * an executor image shows what that image holds.
 */
import { loadCatalogue } from '../languages/catalogue.js';

const file = process.env.REMCODE_CATALOGUE;
const catalogue = await loadCatalogue(file ? { file } : {});
for (const language of catalogue.list()) {
  if (language.available) process.stdout.write(`${language.id} ${language.installedVersion ?? ''}\n`);
}
