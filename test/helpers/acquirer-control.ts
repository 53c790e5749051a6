import type { TestApp } from './test-app.js';

/** Arms a fault in the sandbox acquirer (test mode), e.g. { mode: 'timeout_after_charge', ms: 15000 }. */
export async function armAcquirerFault(app: TestApp, fault: Record<string, unknown>): Promise<void> {
  const { url, secret } = app.acquirer;
  const res = await fetch(`${url}/v1/test/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`arming fault failed: ${res.status} ${await res.text()}`);
}

export async function clearAcquirerFaults(app: TestApp): Promise<void> {
  const { url, secret } = app.acquirer;
  await fetch(`${url}/v1/test/faults`, { method: 'DELETE', headers: { authorization: `Bearer ${secret}` } });
}
