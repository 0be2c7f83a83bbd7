/**
 * A throw-away single-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's
 * `munge` and `slurm-wlm` packages, configured in a temporary folder (own munge key and socket,
 * own slurm.conf on free ports, state, spool, pid and log files), run in the foreground as child
 * processes of this one, so nothing outside the folder is touched and `stop()` ends them all.
 * Slurm's commands reach this cluster through the environment in `env` (SLURM_CONF).
 *
 * Runs as root only (SlurmUser=root, slurmd launching jobs). Also a script, for trying the
 * examples by hand:  node --import tsx test/experiment/slurm-cluster.ts DIR  (Ctrl-C stops it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DAEMONS = ['munged', 'slurmctld', 'slurmd'] as const;
const COMMANDS = ['sbatch', 'sinfo', 'squeue', 'scontrol', 'scancel'] as const;
/** Where Debian puts the daemons (not on a non-root PATH). */
const EXTRA_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface SlurmCluster {
  dir: string;
  /** The cluster's slurm.conf. */
  conf: string;
  /** process.env plus SLURM_CONF: pass it to every Slurm command (sbatch, squeue, …). */
  env: NodeJS.ProcessEnv;
  /** Cancel every job, shut the daemons down (SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of each daemon's log, for error messages. */
  logTail(lines?: number): string;
}

/** Slurm or munge cannot run here; the message says why (for a test's skip reason). */
export class SlurmUnavailable extends Error {
  override name = 'SlurmUnavailable';
}

/** Absolute path of `name` on PATH or in the system folders; null if absent. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_PATH];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Why a cluster cannot be started here (missing programs, not root), or null if it can be tried. */
export function slurmPrerequisites(): string | null {
  const missing = [...DAEMONS, ...COMMANDS].filter((t) => !findTool(t));
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (Debian: apt-get install slurm-wlm munge)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (slurmd launches the jobs; SlurmUser=root)';
  return null;
}

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** Give up (and stop what started) if the node is not idle within this time; default 60 s. */
  timeoutMs?: number;
  /** Kill the daemons on SIGINT/SIGTERM/SIGHUP, then die of the signal (default true). */
  handleSignals?: boolean;
}

/**
 * Start munged, slurmctld and slurmd with everything in `dir` (created, mode 700), and wait until
 * the node is idle. Throws SlurmUnavailable, with the daemons' log tails, if that does not happen;
 * whatever had started is stopped first.
 */
export async function startSlurmCluster(dir: string, options: StartOptions = {}): Promise<SlurmCluster> {
  const reason = slurmPrerequisites();
  if (reason) throw new SlurmUnavailable(reason);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const sub of ['state', 'spool']) mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, name);

  const children = new Map<string, ChildProcess>();
  const exited = new Map<string, string>();
  const run = (name: string, args: string[], env: NodeJS.ProcessEnv): void => {
    const child = spawn(findTool(name)!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => exited.set(name, `${name} exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`));
    child.on('error', (err) => exited.set(name, `${name} did not start: ${err.message}`));
    children.set(name, child);
  };

  const hostname = os.hostname().split('.')[0];
  const env = { ...process.env, SLURM_CONF: file('slurm.conf'), PATH: [process.env.PATH, ...EXTRA_PATH].filter(Boolean).join(path.delimiter) };
  let stopped = false;
  const killAll = (signal: NodeJS.Signals): void => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  // If this process ends without stop() (an uncaught error, a signal such as a CI time-out's),
  // take the daemons along; on a signal, then die of it as if there were no handler.
  const onExit = (): void => killAll('SIGKILL');
  const onSignal = (signal: NodeJS.Signals): void => {
    killAll('SIGKILL');
    removeHandlers();
    process.kill(process.pid, signal);
  };
  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const removeHandlers = (): void => {
    process.removeListener('exit', onExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  process.once('exit', onExit);
  if (options.handleSignals ?? true) for (const s of SIGNALS) process.once(s, onSignal);

  const logTail = (lines = 15): string =>
    ['munged.log', 'slurmctld.log', 'slurmd.log']
      .filter((f) => existsSync(file(f)))
      .map((f) => `--- ${f}\n${readFileSync(file(f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`)
      .concat([...exited.values()].map((e) => `--- ${e}`))
      .join('\n');

  const slurm = (command: string, args: string[], timeout = 15_000) =>
    spawnSync(findTool(command)!, args, { env, encoding: 'utf8', timeout });

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (children.has('slurmctld') && !exited.has('slurmctld')) {
      slurm('scancel', ['--user', os.userInfo().username], 10_000);
      slurm('scontrol', ['shutdown'], 10_000);
    }
    const graceEnd = Date.now() + 10_000;
    const alive = (): ChildProcess[] => [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    // slurmctld and slurmd end on `scontrol shutdown`; munged is asked last, as they use it.
    for (const name of ['slurmd', 'slurmctld']) {
      const child = children.get(name);
      while (child && child.exitCode === null && child.signalCode === null && Date.now() < graceEnd) await sleep(200);
    }
    children.get('munged')?.kill('SIGTERM');
    while (alive().length > 0 && Date.now() < graceEnd + 5_000) await sleep(200);
    killAll('SIGKILL');
    removeHandlers();
  };

  try {
    // munge: a fresh key (1024 random bytes, owner-only) and a private socket.
    writeFileSync(file('munge.key'), randomBytes(1024), { mode: 0o400 });
    chmodSync(file('munge.key'), 0o400);
    run('munged', ['--foreground', '--force', `--key-file=${file('munge.key')}`, `--socket=${file('munge.socket')}`,
      `--pid-file=${file('munged.pid')}`, `--log-file=${file('munged.log')}`, `--seed-file=${file('munged.seed')}`], env);
    await waitFor(() => existsSync(file('munge.socket')), deadline, () => exited.get('munged'), 'munged to open its socket');

    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const memory = Math.max(256, Math.floor(os.freemem() / 2 ** 20) - 1024);
    writeFileSync(file('slurm.conf'), [
      '# Written by test/experiment/slurm-cluster.ts: a single-node cluster for tests.',
      'ClusterName=cntlens-test',
      `SlurmctldHost=${hostname}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${file('munge.socket')}`,
      `StateSaveLocation=${file('state')}`,
      `SlurmdSpoolDir=${file('spool')}`,
      `SlurmctldPidFile=${file('slurmctld.pid')}`,
      `SlurmdPidFile=${file('slurmd.pid')}`,
      `SlurmctldLogFile=${file('slurmctld.log')}`,
      `SlurmdLogFile=${file('slurmd.log')}`,
      'ProctrackType=proctrack/pgid',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'MailProg=/bin/true',
      'InactiveLimit=0',
      'KillWait=5',
      `NodeName=${hostname} NodeAddr=127.0.0.1 CPUs=${os.availableParallelism()} RealMemory=${memory} State=UNKNOWN`,
      `PartitionName=debug Nodes=${hostname} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'));

    run('slurmctld', ['-D', '-i'], env);
    run('slurmd', ['-D', '-N', hostname], env);
    await waitFor(() => {
      const r = slurm('sinfo', ['--noheader', '--Node', '--format=%T'], 5_000);
      return r.status === 0 && /^idle/m.test(r.stdout);
    }, deadline, () => exited.get('slurmctld') ?? exited.get('slurmd') ?? exited.get('munged'), 'the node to be idle (sinfo)');
  } catch (err) {
    const tail = logTail();
    await stop();
    throw new SlurmUnavailable(`${(err as Error).message}${tail ? `\n${tail}` : ''}`);
  }
  return { dir, conf: file('slurm.conf'), env, stop, logTail };
}

/** Poll `ready` every 250 ms until it holds; fail at `deadline` or as soon as `failed` says why. */
async function waitFor(ready: () => boolean, deadline: number, failed: () => string | undefined, what: string): Promise<void> {
  for (;;) {
    const failure = failed();
    if (failure) throw new Error(`while waiting for ${what}: ${failure}`);
    if (ready()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The state of job `id` (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, …) from `scontrol show
 * job` (there is no accounting database), or null once Slurm has forgotten it.
 */
export function jobStates(cluster: SlurmCluster, id: string): string[] | null {
  const r = spawnSync(findTool('scontrol')!, ['show', 'job', '--oneliner', id], { env: cluster.env, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return null;
  return [...r.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
}

// As a script: start a cluster in DIR and keep it up until Ctrl-C.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), `cntlens-slurm-${process.pid}`));
  const cluster = await startSlurmCluster(dir, { handleSignals: false });
  process.stdout.write(`Slurm is up. In another shell:\n  export SLURM_CONF=${cluster.conf}\n  sinfo; examples/slurm/submit.sh --help\nCtrl-C stops it.\n`);
  const shutdown = (): void => {
    void cluster.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  setInterval(() => {}, 1 << 30);
}
