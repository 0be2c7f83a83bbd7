/**
 * `npm run bench`: runs every bench/*.bench.ts in name order (or only those whose name contains
 * one of the arguments, e.g. `npm run bench -- forward`). Each file exports `run(): Promise<void>`
 * and prints its own table. Benchmarks are measurements, not tests: they never fail on a number.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
for (const file of files) {
  process.stdout.write(`\n=== ${file.replace(/\.bench\.ts$/, '')} ===\n`);
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { run: () => Promise<void> };
  await mod.run();
}
