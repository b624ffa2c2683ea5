/**
 * Prints the languages this executor would serve, one `id version` line each, as it decides at start:
 * the catalogue's languages whose tools are installed, narrowed to EXECUTOR_LANGUAGES when set (an
 * executor image sets it to its pool's languages). Fails, naming them, when EXECUTOR_LANGUAGES asks for
 * one the catalogue or the image lacks. `node dist/executor/cli/languages.js` in an executor image
 * shows what its pool runs.
 */
import { parseExecutorConfig } from '../../common/config.js';
import { loadCatalogue } from '../languages/catalogue.js';
import { servedLanguages } from '../languages/served.js';

const config = parseExecutorConfig();
const catalogue = await loadCatalogue(
  config.catalogueFile === undefined ? {} : { file: config.catalogueFile },
);
try {
  for (const language of servedLanguages(catalogue, config.languages).list())
    process.stdout.write(`${language.id} ${language.installedVersion ?? ''}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
