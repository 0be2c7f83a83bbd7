/**
 * The `cntlens` command line: `cntlens <command> [options]`. Each command lives in its own file
 * under lib/cli/commands/ and exports `command: Command`; this file only dispatches.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CntlensError } from '../util/errors.js';

export interface Command {
  name: string;
  /** One line for `cntlens --help`. */
  summary: string;
  /** Full help text for `cntlens <name> --help`. */
  usage: string;
  /** Runs the command; returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

/** Command names: one file per command, named after it (lib/cli/commands/<name>.ts). */
export function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

/** Import one command's module only, so a command starts without loading every other one. */
export async function loadCommand(name: string): Promise<Command | null> {
  if (!commandNames().includes(name)) return null;
  const mod = (await import(pathToFileURL(path.join(COMMANDS_DIR, `${name}.ts`)).href)) as { command?: Command };
  if (!mod.command || mod.command.name !== name) throw new Error(`lib/cli/commands/${name}.ts must export a Command named "${name}"`);
  return mod.command;
}

export async function loadCommands(): Promise<Map<string, Command>> {
  const commands = new Map<string, Command>();
  for (const name of commandNames()) commands.set(name, (await loadCommand(name))!);
  return commands;
}

function overview(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
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
    process.stdout.write(overview(await loadCommands()) + '\n');
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
