/**
 * The executor images to build, for manifests/images/build.sh: one line per pool,
 * `image<TAB>pool<TAB>ids<TAB>packages<TAB>extras`, the packages being those the catalogue lists for the
 * pool's languages, deduplicated, in catalogue order, and the extras the parts of GCC its image keeps
 * (comma-separated, `-` for none).
 *   pools-cli.ts manifest FILE                 every executor pool of the desired-state file
 *   pools-cli.ts pool NAME=ID,ID... [EXTRAS]   one pool, tagged remcode-executor-NAME:local
 * Exits 64 on a mistake (an unknown language id or extra, an invalid file), naming it.
 */
import { readLanguagePackages, shippedCatalogueFile } from '../../common/language-packages.js';
import { POOL_NAME } from '../../common/pools.js';
import { formatIssue, loadDesired } from './load.js';
import { GCC_EXTRAS, type GccExtra } from './schema.js';
import { executorPools, type ExecutorPoolDef } from './pools.js';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(64);
}

const catalogueFile = process.env.REMCODE_CATALOGUE || shippedCatalogueFile();
const packagesOf = readLanguagePackages(catalogueFile);
const [mode, argument, extrasArgument] = process.argv.slice(2);
let pools: ExecutorPoolDef[];
if (mode === 'manifest' && argument) {
  const loaded = await loadDesired(argument);
  if (!loaded.ok) fail(loaded.issues.map(formatIssue).join('\n'));
  pools = executorPools(loaded.desired);
} else if (mode === 'pool' && argument) {
  const [pool = '', ids = ''] = argument.split('=', 2);
  if (!POOL_NAME.test(pool)) fail(`"${pool}" is not a pool name (lower-case letters, digits, - and _)`);
  const languages = ids.split(',').filter((id) => id !== '');
  if (languages.length === 0) fail(`pool ${pool}: no languages given (NAME=ID,ID...)`);
  const extras = (extrasArgument ?? '').split(',').filter((extra) => extra !== '');
  const unknownExtras = extras.filter((extra) => !(GCC_EXTRAS as readonly string[]).includes(extra));
  if (unknownExtras.length > 0)
    fail(`pool ${pool}: unknown GCC extra(s) ${unknownExtras.join(', ')} (known: ${GCC_EXTRAS.join(', ')})`);
  pools = [
    {
      service: pool,
      pool,
      image: `remcode-executor-${pool}:local`,
      languages,
      gccExtras: [...new Set(extras as GccExtra[])],
    },
  ];
} else {
  fail('usage: pools-cli.ts manifest FILE | pool NAME=ID,ID... [EXTRA,EXTRA...]');
}
for (const pool of pools) {
  const unknown = pool.languages.filter((id) => !packagesOf.has(id));
  if (unknown.length > 0)
    fail(`pool ${pool.pool}: unknown language(s) ${unknown.join(', ')} (catalogue ${catalogueFile})`);
  const wanted = new Set(pool.languages);
  const packages = [...packagesOf].filter(([id]) => wanted.has(id)).flatMap(([, list]) => list);
  const line = [
    pool.image,
    pool.pool,
    pool.languages.join(','),
    [...new Set(packages)].join(' '),
    pool.gccExtras.join(',') || '-',
  ];
  process.stdout.write(`${line.join('\t')}\n`);
}
