import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { useJsonErrors } from './hono-errors.js';

function app(err: unknown) {
  const logged: unknown[] = [];
  const a = new Hono();
  useJsonErrors(a, (e) => logged.push(e));
  a.post('/x', () => {
    throw err;
  });
  return { a, logged };
}

describe('useJsonErrors', () => {
  it('answers a full database with 507 storage_full and logs it', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const { a, logged } = app(full);
    const res = await a.request('/x', { method: 'POST' });
    expect(res.status).toBe(507);
    expect(await res.json()).toEqual({ error: { code: 'storage_full', message: expect.stringMatching(/nothing of this request was stored/) } });
    expect(logged).toEqual([full]);
  });

  it('keeps a DomainError status and hides other errors behind 500 internal', async () => {
    const domain = await app(new DomainError('unknown_item', 404, 'no such item')).a.request('/x', { method: 'POST' });
    expect(domain.status).toBe(404);
    expect(await domain.json()).toEqual({ error: { code: 'unknown_item', message: 'no such item' } });
    const other = await app(new Error('secret detail')).a.request('/x', { method: 'POST' });
    expect(other.status).toBe(500);
    expect(await other.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
