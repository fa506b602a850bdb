export { SimulatedEdge, statusPayload, type SendDeltaOptions } from './simulated-edge.js';
export { CentralHarness, HARNESS_MODEL, harnessDelta } from './central-harness.js';
