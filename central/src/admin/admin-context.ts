import { encode, topics, type RoundControlMsg } from '@edgerec/proto-schemas';
import type { Logger } from '../central-logger.js';
import type { CentralService } from '../central-service.js';

/** What changed, for the console's live updates. */
export type ChangeKind = 'round' | 'node' | 'model' | 'audit' | 'sync' | 'policy';

/** What the admin controls work on: the running central, a clock and the change feed. */
export interface AdminContext {
  central: CentralService;
  logger: Logger;
  now(): number;
  notify(kind: ChangeKind): void;
}

/**
 * Publishes a control message on `control/rounds`, NOT retained: the retained message
 * there is the open round's announcement, which late joiners need. A failed publish is
 * logged, not thrown: the SQLite state already changed and stays authoritative.
 *
 * @example
 * await publishControl(ctx, { v: 1, type: 'pause', nodeIds: ['edge-1'] });
 */
export async function publishControl(ctx: AdminContext, msg: RoundControlMsg): Promise<void> {
  try {
    await ctx.central.transport.publish(topics.controlRounds(), encode(msg), { retain: false });
  } catch (e) {
    ctx.logger.warn({ type: msg.type, err: e instanceof Error ? e.message : String(e) }, 'control publish failed');
  }
}
