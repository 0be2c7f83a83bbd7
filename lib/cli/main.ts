/**
 * The `cntlens` command line: `cntlens <command> [options]`. Each command lives in its own file
 * under lib/cli/commands/ and exports `command: Command`; this file only dispatches. It imports
 * nothing heavy: `cntlens --help` loads no command module (and so no TensorFlow.js), and a command
 * loads its own module only.
 */
import { CntlensError } from '../util/errors.js';

export interface Command {
  name: string;
  /** One line for `cntlens --help` (the same as in COMMANDS, which test/cli/main.test.ts checks). */
  summary: string;
  /** Full help text for `cntlens <name> --help`. */
  usage: string;
  /** Runs the command; returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

interface CommandEntry {
  name: string;
  summary: string;
  /** A literal import per command, so both tsx (sources) and dist/ (compiled) resolve it. */
  load: () => Promise<{ command?: Command }>;
}

/** Every command, in the order of `cntlens --help`; the summaries are copied here so the overview loads no module. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'analyze', summary: 'the series stage alone (metrics, phases, roles, findings, report) on a folder of influence files', load: () => import('./commands/analyze.js') },
  { name: 'experiment', summary: 'the whole study: influence graphs, metrics, phases and report over checkpoints', load: () => import('./commands/experiment.js') },
  { name: 'fetch', summary: 'download model revisions from the Hugging Face hub into the HF cache', load: () => import('./commands/fetch.js') },
  { name: 'forward', summary: 'run a checkpoint on token ids and write the logits (optionally with ablations)', load: () => import('./commands/forward.js') },
  { name: 'influence', summary: 'influence graph of one checkpoint by ablating every head and MLP', load: () => import('./commands/influence.js') },
  { name: 'merge', summary: 'finish a sharded experiment: phases, roles and report over all shards', load: () => import('./commands/merge.js') },
  { name: 'metrics', summary: 'complex-network metrics of a component graph (edge list or influence matrix)', load: () => import('./commands/metrics.js') },
  { name: 'phases', summary: 'learning phases of a metric series: change points, confidence, labels', load: () => import('./commands/phases.js') },
  { name: 'train', summary: 'train the tiny GPT-NeoX on synthetic induction data, saving HF checkpoints', load: () => import('./commands/train.js') },
];

/** Command names (one file per command, named after it: lib/cli/commands/<name>.ts). */
export function commandNames(): string[] {
  return COMMANDS.map((c) => c.name);
}

/** Import one command's module only, so a command starts without loading every other one. */
export async function loadCommand(name: string): Promise<Command | null> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) return null;
  const mod = await entry.load();
  if (!mod.command || mod.command.name !== name) throw new Error(`lib/cli/commands/${name}.ts must export a Command named "${name}"`);
  return mod.command;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'cntlens: transformer components as a complex network, over training checkpoints',
    '',
    'Usage: cntlens <command> [options]     (cntlens <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Backend: --backend auto|wasm|node-gpu|node|cpu or $CNTLENS_BACKEND (default wasm).',
  ].join('\n');
}

/**
 * A reader that stops early (`cntlens forward … | head`) closes the pipe: stop quietly, as
 * command-line tools do, rather than with an unhandled EPIPE and its stack.
 */
let pipeHandled = false;

function stopOnClosedPipe(): void {
  if (pipeHandled) return;
  pipeHandled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  stopOnClosedPipe();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return name ? 0 : 1;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`cntlens: unknown command "${name}" (known: ${commandNames().join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    return reportError(name, err);
  }
}

/** User errors print one readable line; anything else is a bug and keeps its stack. */
export function reportError(commandName: string, err: unknown): number {
  if (err instanceof CntlensError || isParseArgsError(err)) {
    // Node's option parser writes several sentences on separate lines; keep the one-line promise.
    const message = (err as Error).message.split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
    process.stderr.write(`cntlens ${commandName}: ${message}\n`);
    return 1;
  }
  process.stderr.write(`cntlens ${commandName}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
