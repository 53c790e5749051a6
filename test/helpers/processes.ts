// Real processes for crash and chaos tests: Coinslot as a child (`node --import tsx src/main.ts`) and a private redis-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tryConnectRedis } from '../../src/adapters/redis/redis-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port nobody listens on right now (for a child that must be restarted on the same address). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls until `check` passes or `timeoutMs` runs out; throws naming what it waited for. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs)); // the poll interval, not a wait for time
  }
}

/**
 * Polls `probe` until it returns a value (anything but undefined) and returns it; throws naming
 * what it waited for when `timeoutMs` runs out.
 */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<T> {
  let value: T | undefined;
  await waitFor(
    async () => {
      value = await probe();
      return value !== undefined;
    },
    timeoutMs,
    what,
    intervalMs,
  );
  return value as T;
}

/** A private, disposable redis-server on its own port, which a test may kill and restart (never the shared one). */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(() => tryConnectRedis(this.url, 200), 10_000, `redis-server on port ${this.port}`);
  }

  /** SIGSTOP freezes the server (connections stay open, nothing answers); SIGCONT resumes it. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  /** SIGKILL: every key is lost (no persistence), as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

/** One Coinslot API process (`node --import tsx src/main.ts`) on a fixed port, restartable. */
export class CoinslotProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<unknown> | null = null;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  readonly output: string[] = [];
  /** How many times it was started. */
  starts = 0;
  private answering = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Started, answered /healthz, and not killed since: what a load balancer's health check would route to. */
  get ready(): boolean {
    return this.answering && this.running;
  }

  /** Starts the process and waits until /healthz answers. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    this.exited = once(child, 'exit').catch(() => undefined);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.output.push(`[${this.name}#${this.starts}] ${line.slice(0, 500)}`);
        if (this.output.length > 200) this.output.shift();
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `${this.name} exited during start (${child.exitCode ?? child.signalCode}):\n${this.output.slice(-30).join('\n')}`,
          );
        }
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
        return res.ok;
      },
      timeoutMs,
      `${this.name} to answer /healthz`,
      100,
    ).catch((error: unknown) => {
      // waitFor swallows check errors; report the exit if that is what happened
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.name} exited during start (${child.exitCode ?? child.signalCode}):\n${this.output.slice(-30).join('\n')}`,
        );
      }
      throw error;
    });
    this.answering = true;
  }

  /** Kills the process (SIGKILL by default: no shutdown code runs) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.answering = false;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.exited;
    this.child = null;
  }
}
