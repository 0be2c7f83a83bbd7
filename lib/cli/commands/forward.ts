/**
 * `cntlens forward`: run a GPT-NeoX checkpoint on token ids and write the logits, optionally with
 * components zero-ablated by name.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { parseAblationNames } from '../../model/ablation-names.js';
import { initBackend, requestedBackend } from '../../model/backend.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { checkTokens, NeoXModel } from '../../model/neox.js';
import { paramsFromStateDict, validateStateDict } from '../../model/params.js';
import { InputError, OptionError } from '../../util/errors.js';
import { checkOutputFile, readJsonFile, writeFileAtomic } from '../../util/files.js';

const usage = `Usage: cntlens forward --model DIR --tokens FILE.json [--ablate NAMES] [--out FILE.json] [--backend B]

Runs a GPT-NeoX (Pythia) checkpoint on token ids and writes {"logits": [batch][seq][vocab]}
as JSON (float32 values, shortest round-trip form), to --out or else to stdout.

  --model DIR       checkpoint folder: config.json + model.safetensors (or shards, or
                    pytorch_model.bin)
  --tokens FILE     JSON {"tokens": [[id, …], …]}: rows of equal length, ids in [0, vocab),
                    at most max_position_embeddings per row
  --ablate NAMES    zero-ablate components in the same pass, comma- or +-separated:
                    L{l}H{h}  head h of layer l (its z before W_O; the dense bias stays)
                    L{l}MLP   the whole MLP output of layer l (bias included)
                    L{l}ATTN  the whole attention output of layer l (all heads and bias)
  --out FILE        write here (atomically) instead of stdout
  --backend B       auto|wasm|node-gpu|node|cpu (default: $CNTLENS_BACKEND, else wasm)
`;

export const command: Command = {
  name: 'forward',
  summary: 'run a checkpoint on token ids and write the logits (optionally with ablations)',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        tokens: { type: 'string' },
        ablate: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string' },
      },
    });
    if (!values.model) throw new OptionError('--model', 'required: a checkpoint folder (config.json and weights)');
    if (!values.tokens) throw new OptionError('--tokens', 'required: a JSON file {"tokens": [[id, …], …]}');
    requestedBackend(values.backend); // refuse an unknown backend name before any work
    if (values.out !== undefined) checkOutputFile(values.out, '--out');

    // Everything the user gave is checked before TensorFlow.js starts.
    const { config, stateDict } = await loadCheckpoint(values.model);
    validateStateDict(config, stateDict, values.model);
    const tokens = readTokensFile(values.tokens, config);
    const patches = values.ablate !== undefined ? parseAblationNames(values.ablate, config, '--ablate') : [];

    await initBackend({ backend: values.backend });
    const model = new NeoXModel(config, paramsFromStateDict(config, stateDict, values.model));
    let json: string;
    try {
      const { logits, cache } = model.run(tokens, { patches });
      for (const t of cache.values()) t.dispose();
      json = logitsJson(logits!.dataSync() as Float32Array, logits!.shape);
      logits!.dispose();
    } finally {
      model.dispose();
    }
    if (values.out !== undefined) await writeFileAtomic(values.out, json);
    else process.stdout.write(json);
    return 0;
  },
};

function readTokensFile(file: string, config: Parameters<typeof checkTokens>[1]): number[][] {
  const raw = readJsonFile(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('tokens' in raw)) {
    throw new InputError(file, 'expected a JSON object {"tokens": [[id, …], …]}');
  }
  const tokens = (raw as { tokens: unknown }).tokens;
  const problem = checkTokens(tokens, config);
  if (problem) throw new InputError(file, `"tokens": ${problem}`);
  return tokens as number[][];
}

/** {"logits": [batch][seq][vocab]} with each float32 in its shortest round-trip decimal form. */
export function logitsJson(data: Float32Array, shape: number[]): string {
  const [b, p, v] = shape;
  const batches: string[] = [];
  for (let i = 0; i < b; i++) {
    const rows: string[] = [];
    for (let t = 0; t < p; t++) {
      const off = (i * p + t) * v;
      const cells = new Array<string>(v);
      for (let j = 0; j < v; j++) cells[j] = float32ToString(data[off + j]);
      rows.push(`[${cells.join(',')}]`);
    }
    batches.push(`[${rows.join(',')}]`);
  }
  return `{"logits":[${batches.join(',\n')}]}\n`;
}

/** Shortest decimal that reads back (as float32) to exactly x; null for non-finite values. */
export function float32ToString(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  for (let digits = 1; digits < 9; digits++) {
    const s = Number(x.toPrecision(digits));
    if (Math.fround(s) === x) return String(s);
  }
  return String(Number(x.toPrecision(9)));
}
