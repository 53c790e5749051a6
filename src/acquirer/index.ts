// The sandbox acquirer's public face: start it in-process with createAcquirerServer, or alone with `npm run acquirer`.
export { createAcquirerServer, type AcquirerServer, type AcquirerServerOptions } from './server.js';
export { FAULT_MODES, type FaultMode } from './faults.js';
