// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line) and prints each figure
// as `name: value unit (ratio …)`. Ratios are measured in the same run; nothing here asserts a timing.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatFigure, type Bench } from './figure';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
});

let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Bench };
  console.log(`# ${basename(file, '.bench.ts')}: ${mod.default.title}`);
  try {
    for (const figure of await mod.default.run(controller.signal)) console.log(formatFigure(figure));
  } catch (err) {
    failed += 1;
    console.log(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
