import { HttpError, invalid, asObject } from './http.js';
import { newId } from '../shared/ids.js';

export const FAULT_MODES = [
  'latency',
  'timeout_after_charge',
  'error_before_charge',
  'error_after_charge',
  'drop_connection',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/**
 * A fault armed for the next `remaining` matching requests (test mode only).
 * - latency: waits `ms` before handling;
 * - timeout_after_charge: handles (the charge commits), then answers only after `ms` (default 60 s), past any client timeout;
 * - error_before_charge: HTTP 503 with outcome 'none', nothing done;
 * - error_after_charge: handles (commits), then HTTP 500;
 * - drop_connection: destroys the socket, after handling (phase 'after', the default) or before it.
 */
export interface Fault {
  readonly id: string;
  readonly mode: FaultMode;
  readonly ms: number;
  readonly phase: 'before' | 'after';
  /** Only requests whose path starts with this (default: every /v1 route but /v1/test). */
  readonly pathPrefix: string | null;
  readonly method: string | null;
  remaining: number;
}

const DEFAULT_MS: Record<FaultMode, number> = {
  latency: 1_000,
  timeout_after_charge: 60_000,
  error_before_charge: 0,
  error_after_charge: 0,
  drop_connection: 0,
};

/** Parses a fault from the control endpoint's body or from the request headers. */
export function parseFault(input: unknown): Fault {
  const body = asObject(input);
  const mode = body.mode;
  if (typeof mode !== 'string' || !(FAULT_MODES as readonly string[]).includes(mode)) {
    throw invalid('mode', `one of ${FAULT_MODES.join(', ')}`);
  }
  const ms = body.ms ?? DEFAULT_MS[mode as FaultMode];
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 600_000)
    throw invalid('ms', 'an integer from 0 to 600000');
  const count = body.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1_000_000)
    throw invalid('count', 'a positive integer');
  const phase = body.phase ?? 'after';
  if (phase !== 'before' && phase !== 'after') throw invalid('phase', "'before' or 'after'");
  const path = body.path ?? null;
  if (path !== null && (typeof path !== 'string' || !path.startsWith('/')))
    throw invalid('path', 'a path prefix such as /v1/charges');
  const method = body.method ?? null;
  if (method !== null && (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)))
    throw invalid('method', 'an HTTP method');
  return {
    id: newId(),
    mode: mode as FaultMode,
    ms,
    phase,
    pathPrefix: path,
    method: method === null ? null : method.toUpperCase(),
    remaining: count,
  };
}

/** The faults armed in one acquirer process. */
export class FaultBoard {
  private faults: Fault[] = [];

  arm(fault: Fault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults = [];
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /** Takes the first fault matching this request, counting it down. */
  take(method: string, path: string): Fault | null {
    const index = this.faults.findIndex(
      (f) => (f.method === null || f.method === method) && (f.pathPrefix === null || path.startsWith(f.pathPrefix)),
    );
    if (index < 0) return null;
    const fault = this.faults[index] as Fault;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

/** A fault for this request only, from `Acquirer-Fault: <mode>` and optional `Acquirer-Fault-Ms` / `Acquirer-Fault-Phase`. */
export function faultFromHeaders(headers: Record<string, string | string[] | undefined>): Fault | null {
  const mode = headers['acquirer-fault'];
  if (typeof mode !== 'string' || mode === '') return null;
  const ms = headers['acquirer-fault-ms'];
  const phase = headers['acquirer-fault-phase'];
  try {
    return parseFault({
      mode,
      ...(typeof ms === 'string' ? { ms: Number(ms) } : {}),
      ...(typeof phase === 'string' ? { phase } : {}),
    });
  } catch (error) {
    if (error instanceof HttpError)
      throw new HttpError(400, 'invalid_fault', `Acquirer-Fault header: ${error.message}`);
    throw error;
  }
}
