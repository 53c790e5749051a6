// A Coinslot server as a child process (src/main.ts, or src/cluster.ts for several), as `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** Recent output of the process (for an error report). */
  output(): string;
  /** The first characters of the recent error lines the server logged (pino level ≥ 50): a huge line stays readable. */
  errorLines(): string[];
  /** One gauge of /metrics (prometheus text, with or without the coinslot_ prefix), summed over its series; null when absent. */
  metric(name: string): Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node --import tsx <entry>` with `env` and waits until it prints where it listens. */
export async function startServerProcess(
  entry: 'src/main.ts' | 'src/cluster.ts' | 'src/acquirer/main.ts',
  env: Record<string, string>,
  options: { timeoutMs?: number; nodeArgs?: readonly string[]; readyPattern?: RegExp } = {},
): Promise<ServerProcess> {
  // The API prints its /healthz address; the standalone acquirer 'sandbox acquirer listening on <url>'.
  const readyPattern = options.readyPattern ?? /(http:\/\/[^\s/]+)\/healthz/;
  const timeoutMs = options.timeoutMs ?? 60_000;
  // nodeArgs: e.g. --cpu-prof --cpu-prof-dir=… to profile the server under load.
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const errors: string[] = [];
  let line = '';
  let lineLength = 0;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-20_000);
    // Line heads only: one logged error can be megabytes (a failed query with all its parameters).
    for (const part of text.split(/(\n)/)) {
      if (part === '\n') {
        if (/^\{"level":(50|60)/.test(line)) errors.push(line);
        if (errors.length > 50) errors.shift();
        line = '';
        lineLength = 0;
      } else {
        if (lineLength < 600) line += part.slice(0, 600 - lineLength);
        lineLength += part.length;
      }
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    );
    const look = () => {
      const match = readyPattern.exec(log);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(match[1] as string);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening:\n${log}`));
    });
  });

  return {
    url,
    pid: child.pid as number,
    output: () => log,
    errorLines: () => [...errors],
    async metric(name) {
      const token = env.METRICS_TOKEN;
      const response = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      // production answers 401 without the token: a figure read off an error page would be a silent 0
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      const text = await response.text();
      let total: number | null = null;
      for (const line of text.split('\n')) {
        if (line.startsWith('#')) continue;
        for (const full of [name, `coinslot_${name}`]) {
          if (line.startsWith(`${full} `) || line.startsWith(`${full}{`))
            total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return total;
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
