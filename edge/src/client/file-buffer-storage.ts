import { readFile, rename, writeFile } from 'node:fs/promises';
import { EventIn } from '@edgerec/proto-schemas';
import type { BufferStorage } from './buffer-storage.js';

/**
 * Node storage in a JSON file, replaced atomically (write temp + rename) so a crash in the
 * middle of a save leaves the previous buffer intact. Unparseable content is an error, not
 * silently an empty buffer: losing buffered events must never be quiet.
 */
export class FileBufferStorage implements BufferStorage {
  /** saves run one after another, in call order, so the newest snapshot is the one that stays */
  private queue: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(private readonly path: string) {}

  async load(): Promise<EventIn[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const parsed = EventIn.array().safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`offline buffer ${this.path} is corrupt: ${parsed.error.message}`);
    return parsed.data;
  }

  save(events: EventIn[]): Promise<void> {
    const text = JSON.stringify(events);
    const tmp = `${this.path}.${process.pid}.${this.seq++}.tmp`;
    const write = async (): Promise<void> => {
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    };
    const next = this.queue.then(write, write);
    this.queue = next.catch(() => {});
    return next;
  }
}
