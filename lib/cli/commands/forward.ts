/**
 * `cntlens forward`: run a GPT-NeoX checkpoint on token ids and write the logits, optionally with
 * components zero-ablated by name.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { parseAblationNames } from '../../model/ablation-names.js';
import { initBackend, requestedBackend } from '../../model/backend.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { checkTokens, NeoXModel } from '../../model/neox.js';
import { paramsFromStateDict, validateStateDict } from '../../model/params.js';
import { InputError, OptionError } from '../../util/errors.js';
import { checkOutputFile, formatBytes, readJsonFile, writeFileAtomicWith } from '../../util/files.js';
import { freeDiskBytes, refuse } from '../../util/resources.js';
import { forwardBytesPerRow, tensorLimit } from '../../ablation/resources.js';
import type { NeoXConfig } from '../../model/types.js';

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
    const rowsPerPass = forwardPlan(config, tokens, values.tokens, values.out);
    const model = new NeoXModel(config, paramsFromStateDict(config, stateDict, values.model));
    try {
      const produce = async (write: (chunk: string) => Promise<void>): Promise<void> => {
        // Rows are independent: a large request runs in passes of rowsPerPass rows, each written
        // as it is done, so neither the tensors nor the text grow with the number of rows.
        for (let start = 0; start < tokens.length; start += rowsPerPass) {
          const rows = tokens.slice(start, start + rowsPerPass);
          const { logits, cache } = model.run(rows, { patches });
          for (const t of cache.values()) t.dispose();
          const body = logitsRows(logits!.dataSync() as Float32Array, logits!.shape);
          logits!.dispose();
          await write(`${start === 0 ? '{"logits":[' : ',\n'}${body}${start + rowsPerPass >= tokens.length ? ']}\n' : ''}`);
        }
      };
      if (values.out !== undefined) await writeFileAtomicWith(values.out, produce);
      else await produce(writeStdout);
    } finally {
      model.dispose();
    }
    return 0;
  },
};

/** Most rows one forward pass may take: the tensors of a pass stay within this (and the tensor limit). */
const FORWARD_PASS_BUDGET = 512 * 2 ** 20;

/**
 * Rows per forward pass for this request (lib/ablation/resources.ts forwardBytesPerRow), refusing
 * one whose single row does not fit the tensor memory, or whose logits as text would not fit the
 * free space where --out goes.
 */
function forwardPlan(config: NeoXConfig, tokens: number[][], tokensFile: string, out: string | undefined): number {
  const seqLen = tokens[0].length;
  const limit = tensorLimit();
  const perRow = forwardBytesPerRow(config, seqLen);
  if (perRow > limit.bytes) {
    refuse(`one row of ${seqLen} tokens needs about ${formatBytes(perRow)} of tensors in a forward pass, more than the ${formatBytes(limit.bytes)} cntlens may use (${limit.source}); shorten the rows`, { file: tokensFile });
  }
  if (out !== undefined) {
    const text = tokens.length * seqLen * config.vocabSize * LOGIT_TEXT_BYTES;
    const free = freeDiskBytes(path.dirname(path.resolve(out)));
    if (free !== null && text > free) {
      refuse(`${tokens.length} rows of ${seqLen} tokens make about ${formatBytes(text)} of logits as JSON, more than the ${formatBytes(free)} free where --out goes`, { option: '--out' });
    }
  }
  return Math.max(1, Math.floor(Math.min(FORWARD_PASS_BUDGET, limit.bytes) / perRow));
}

/** Bytes of JSON text per logit, about (a float32 in shortest form and a comma). */
const LOGIT_TEXT_BYTES = 12;

/** Write to stdout, waiting when the pipe is full (so a large output is not buffered whole). */
function writeStdout(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

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
  return `{"logits":[${logitsRows(data, shape)}]}\n`;
}

/** The rows of logitsJson, `[…],\n[…]` (no brackets around them). */
export function logitsRows(data: Float32Array, shape: number[]): string {
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
  return batches.join(',\n');
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
