export { runCentralizedEval, modelScorer, toReport, type CentralizedEvalOptions, type EvalReport } from './centralized-eval.js';
export { runFederatedEval, type FederatedEvalOptions, type FederatedEvalReport } from './federated-eval.js';
export { attackFactor, DEFAULT_ATTACK_FACTORS, EdgeAttack, inflateClaims, poisonLocalWeights, type PoisonStats } from './delta-poisoning.js';
export { type AttackerReport, type QuarantineReport, type QuarantineSpec } from './attack-report.js';
export { roundLogEntry, type RoundLogEntry } from './round-log.js';
export { ProtocolObserver, type ObservedAck } from './protocol-observer.js';
export { OperatorClient, type AdminAnswer } from './operator-client.js';
export { carveHoldout, type CarvedHoldout } from './gate-holdout.js';
