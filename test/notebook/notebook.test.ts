/**
 * examples/notebook.ipynb, executed headlessly in Deno's Jupyter kernel through a Jupyter client
 * (nbclient, from Debian's python3-nbclient; execute.py beside this file): no cell may fail, and
 * every figure must come out inline as Vega-Lite with an SVG fallback.
 *
 * The kernel is the `deno` development dependency's binary, registered in a temporary JUPYTER_PATH
 * (nothing is installed in the user's Jupyter). The notebook imports 'cntlens', which resolves to
 * this checkout's dist/ (a package may import itself by name), so dist/ is built first.
 *
 * Skipped, saying why, where no Python can import nbclient; a failure instead under .ci/run, which
 * installs it (CNTLENS_REQUIRE=jupyter).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../cli/bin.js';
import { tempDir } from '../experiment/helpers.js';
import { buildCheckout, run } from '../package/consumer.js';
import { skipMissing } from '../requirements.js';

const NOTEBOOK = path.join(REPO_ROOT, 'examples', 'notebook.ipynb');
const EXECUTE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'execute.py');
const VEGA_LITE = 'application/vnd.vegalite.v5+json';
const SVG = 'image/svg+xml';
/** Seconds a cell may run (the sweep takes about one). */
const CELL_TIMEOUT_S = 180;

interface Output { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string; traceback?: string[] }
interface Cell { id: string; cell_type: string; source: string | string[]; outputs?: Output[] }

/** A Python with a Jupyter client: Debian's packages go with /usr/bin/python3, which PATH may shadow. */
function jupyterPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return null;
}

/** The deno binary npm installed (node_modules/.bin/deno: the binary itself, or its launcher). */
function denoBinary(): string {
  const bin = path.join(REPO_ROOT, 'node_modules', '.bin', 'deno');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: deno is a development dependency, run npm install`);
  return bin;
}

const text = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join('') : value ?? '');

describe("notebook: examples/notebook.ipynb in Deno's Jupyter kernel, headless", function () {
  this.timeout(600_000);
  let tmp: { dir: string; cleanup: () => void } | null = null;
  let cells: Cell[] = [];

  before(function () {
    const python = jupyterPython();
    if (!python) return skipMissing(this, 'jupyter', 'no Python here imports nbclient (Debian: apt-get install python3-nbclient)');
    buildCheckout();
    tmp = tempDir('notebook');
    const kernels = path.join(tmp.dir, 'jupyter', 'kernels', 'deno');
    mkdirSync(kernels, { recursive: true });
    // What `deno jupyter --install` writes, pointing at this checkout's deno.
    writeFileSync(path.join(kernels, 'kernel.json'), JSON.stringify({
      argv: [denoBinary(), 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript',
    }));
    const out = path.join(tmp.dir, 'executed.ipynb');
    const env = {
      JUPYTER_PATH: path.join(tmp.dir, 'jupyter'), JUPYTER_RUNTIME_DIR: path.join(tmp.dir, 'runtime'), JUPYTER_PLATFORM_DIRS: '1',
      DENO_DIR: path.join(tmp.dir, 'deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', CNTLENS_BACKEND: 'wasm',
    };
    const r = run(python, [EXECUTE, NOTEBOOK, out, 'deno', path.dirname(NOTEBOOK), String(CELL_TIMEOUT_S)], { cwd: REPO_ROOT, env, timeout: 540_000 });
    expect(r.status, `${python} ${EXECUTE} exited ${r.status}:\n${r.stdout}\n${r.stderr}`).to.equal(0);
    cells = (JSON.parse(readFileSync(out, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
  });

  after(() => tmp?.cleanup());

  it('runs every cell without an error', () => {
    expect(cells.length).to.be.greaterThan(5);
    for (const cell of cells) {
      const errors = (cell.outputs ?? []).filter((o) => o.output_type === 'error');
      expect(errors.map((e) => `${e.ename ?? ''}: ${e.evalue ?? text(e.text)}\n${(e.traceback ?? []).join('\n')}`), `cell ${cell.id}:\n${text(cell.source)}`).to.deep.equal([]);
    }
  });

  it('shows every figure inline as Vega-Lite with an SVG fallback', () => {
    const figures = cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.data && VEGA_LITE in o.data).map((o) => ({ cell: c.id, data: o.data! })));
    // The attention pattern, the influence heatmap and the component graph.
    expect(figures.map((f) => f.cell)).to.have.length(3);
    for (const { cell, data } of figures) {
      const spec = data[VEGA_LITE] as { $schema?: string; data?: unknown; datasets?: unknown };
      expect(spec.$schema, cell).to.match(/vega-lite/);
      const svg = text(data[SVG] as string | string[]);
      expect(svg, cell).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.length, cell).to.be.greaterThan(5000);
    }
  });

  it('shows what the session computed: the hook, the sweep and the metrics', () => {
    const all = cells.flatMap((c) => c.outputs ?? []).map((o) => text(o.text) + text(o.data?.['text/plain'] as string | string[])).join('\n');
    expect(all).to.match(/attention pattern \[1,4,21,21\]; largest logit change with L1H0 zeroed: \d+\.\d{4}/);
    expect(all).to.match(/spreaders: \[[^\]]*"L\d+(H\d+|MLP)"/);
    expect(all).to.match(/modularity: \d/);
  });
});
