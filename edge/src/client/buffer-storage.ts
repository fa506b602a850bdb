import type { EventIn } from '@edgerec/proto-schemas';

/** Where the client keeps events that are not yet acknowledged by an edge. */
export interface BufferStorage {
  load(): Promise<EventIn[]>;
  save(events: EventIn[]): Promise<void>;
}

/** Volatile storage (tests, short-lived scripts). */
export class MemoryBufferStorage implements BufferStorage {
  private events: EventIn[] = [];

  async load(): Promise<EventIn[]> {
    return this.events.slice();
  }

  async save(events: EventIn[]): Promise<void> {
    this.events = events.slice();
  }
}

/** Browser storage under one key (kiosk web apps). */
export class LocalStorageBufferStorage implements BufferStorage {
  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem'>,
    private readonly key = 'edgerec.buffer',
  ) {}

  async load(): Promise<EventIn[]> {
    const raw = this.storage.getItem(this.key);
    if (!raw) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? (parsed as EventIn[]) : [];
    } catch {
      return [];
    }
  }

  async save(events: EventIn[]): Promise<void> {
    this.storage.setItem(this.key, JSON.stringify(events));
  }
}
