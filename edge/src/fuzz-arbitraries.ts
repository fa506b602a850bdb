import fc from 'fast-check';
import { encode } from '@edgerec/proto-schemas';

/**
 * Shared pieces of the input-fuzzing suites (issue #9): the case count, request/payload
 * arbitraries and the "clear error" check. Test support only — nothing in the edge imports
 * it. It lives in edge/src (not test/) because it is the lowest workspace that both the edge
 * and the central fuzz suites may import from (`@edgerec/edge/fuzz-arbitraries`).
 */

/** Cases per fuzz property; `FUZZ_RUNS=500 npx vitest run …` for a quick local pass. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

/** Per-test timeout of a fuzz property: room for a loaded 2-core CI machine. */
export const FUZZ_TIMEOUT_MS = 120_000;

/**
 * fast-check parameters of every fuzz property. `FUZZ_SEED` (and `FUZZ_PATH`) replay the
 * counterexample a failure printed.
 *
 * @example
 * await fc.assert(fc.asyncProperty(arb, check), fuzzParameters());
 */
export function fuzzParameters<T>(): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return { numRuns: FUZZ_RUNS, ...(seed ? { seed: Number(seed) } : {}), ...(path ? { path } : {}) };
}

/** Strings that trip parsers: numerals at and past every limit, JS-ish words, broken escapes. */
export const TRICKY_STRINGS: readonly string[] = [
  '', ' ', '0', '-0', '1', '-1', '00', '0.0', '1.5', '1e3', '1e308', '1e309', '-1e309', '0x10', '0b1', '1_000', ' 5', '5 ',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '99999999999999999999999',
  'NaN', 'Infinity', '-Infinity', 'true', 'false', 'null', 'undefined', '[]', '{}', '[object Object]',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  '%', '%%', '%zz', '%E0%A4%A', '%00', '%C0%AF', '%FF', '%2F', '%2e%2e', '..', '.', '/', '+', '&', '=', '#', '?',
  '\u0000', '\t', '\n', '\r\n', '\u202e', '\ufeff', '\ud800', '\udfff', 'é', '€', '😀', '👩‍👩‍👧', 'a'.repeat(64), 'a'.repeat(65),
  'a'.repeat(128), 'a'.repeat(129), '<script>alert(1)</script>', "' OR 1=1 --", '${x}', '{{x}}',
];

/**
 * Any code point, lone surrogates included. (fast-check's `unit: 'binary'` does the same but
 * costs ~4 s to construct on this machine, once per test file.)
 */
export const anyCharArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) },
  { weight: 4, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0xe000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);

/** A query-string or path value: tricky strings, numerals of every size, unicode, long strings. */
export const queryValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: anyCharArb }).map(encodeURIComponentSafe) },
  { weight: 1, arbitrary: fc.constantFrom(300, 5_000).map((n) => 'x'.repeat(n)) },
);

/** encodeURIComponent that survives lone surrogates (it throws on them). */
export function encodeURIComponentSafe(s: string): string {
  return encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd'));
}

/**
 * A query string (without `?`) from `[key, value]` pairs, each part sent raw (so `&`, `=`,
 * `#` and `%` reshape it) or percent-encoded; keys repeat freely.
 */
export function queryStringArb(keys: readonly string[], maxPairs = 5): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: queryValueArb });
  const part = (a: fc.Arbitrary<string>) => fc.tuple(a, fc.boolean()).map(([s, raw]) => (raw ? s : encodeURIComponentSafe(s)));
  return fc
    .array(fc.tuple(part(key), fc.option(part(queryValueArb), { freq: 6 })), { maxLength: maxPairs })
    .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join('&'));
}

/** One path segment: tricky strings (raw, so `/` and `%` may reshape the path) or percent-encoded ones. */
export const pathSegmentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: queryValueArb },
  { weight: 2, arbitrary: queryValueArb.map(encodeURIComponentSafe) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/) },
);

/** Header values a client can actually send: latin-1 without NUL/CR/LF, up to 600 characters. */
export const headerValueArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40, unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)) }),
  fc.stringMatching(/^[\x21-\x7e]{0,140}$/),
  fc.constantFrom('', ' ', 'x'.repeat(600), 'a b', 'é'),
);

/** Content types, right and wrong. */
export const contentTypeArb: fc.Arbitrary<string | null> = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-16',
      'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/msgpack',
      'application/jsonx', 'json', '*/*', '',
    ),
    headerValueArb,
  ),
  { freq: 3 },
);

/** Values of the wrong type, at boundaries, or oversized — what a mutation puts in a field. */
export const wrongValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -0, -1, 1, 1.5, -1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, Number.MIN_VALUE,
    '', '0', '1', 'true', 'x'.repeat(129), 'x'.repeat(513), [], [null], [1, 2, 3], {}, { a: 1 },
    '00000000-0000-0000-0000-000000000000', 'not-a-uuid', 'a/b', 'a+b', '#', '__proto__',
  ),
  fc.integer().map((n) => n as unknown),
  fc.double().map((n) => n as unknown),
  fc.string({ maxLength: 30, unit: 'grapheme' }).map((s) => s as unknown),
  fc.constantFrom(1_000, 70_000).map((n) => 'y'.repeat(n) as unknown),
);

/** Keys a mutation adds: prototype traps, the version field, empty and random names. */
const extraKeyArb = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'v', '', 'extra', 'toJSON'), fc.string({ maxLength: 8 }));

type Path = (string | number)[];

/** Every path into plain objects and arrays (byte arrays are leaves), root excluded. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  if (depth > 5 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  for (const k of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    const p = [...prefix, k];
    out.push(p);
    pathsOf((value as Record<string | number, unknown>)[k], p, out, depth + 1);
  }
  return out;
}

function setOwn(target: Record<string | number, unknown>, key: string | number, v: unknown): void {
  // defineProperty, not assignment: `obj.__proto__ = x` would change the prototype instead of adding a key.
  Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
}

type Op = ['delete' | 'retype' | 'extra' | 'wrap' | 'grow' | 'empty', number, unknown, string];

function applyOp(root: unknown, [op, at, shared, key]: Op): unknown {
  // constantFrom hands out the same object every time: mutate a copy, or cases would share (and cycle) it
  const value = structuredClone(shared);
  if (op === 'wrap') return at % 3 === 0 ? [root] : at % 3 === 1 ? { data: root } : value;
  const paths = pathsOf(root);
  if (paths.length === 0) return op === 'extra' && root !== null && typeof root === 'object' ? root : value;
  const path = paths[at % paths.length];
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], root) as Record<string | number, unknown>;
  const last = path[path.length - 1];
  const current = parent[last];
  switch (op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
      break;
    case 'retype':
      setOwn(parent, last, value);
      break;
    case 'extra':
      if (current !== null && typeof current === 'object' && !Array.isArray(current) && !ArrayBuffer.isView(current)) setOwn(current as Record<string, unknown>, key, value);
      else if (!Array.isArray(parent)) setOwn(parent, key, value);
      break;
    case 'grow':
      // Boundary sizes: a string or array at 2-4x its length plus one (crosses max-length limits).
      if (typeof current === 'string') setOwn(parent, last, current.repeat(2 + (at % 3)) + 'x');
      else if (Array.isArray(current) && current.length > 0) setOwn(parent, last, Array.from({ length: current.length * (2 + (at % 3)) + 1 }, (_, i) => current[i % current.length]));
      else if (typeof current === 'number') setOwn(parent, last, [current + 1, current - 1, current * 1e6, -current, current + 0.5][at % 5]);
      else setOwn(parent, last, value);
      break;
    case 'empty':
      setOwn(parent, last, Array.isArray(current) ? [] : typeof current === 'string' ? '' : typeof current === 'number' ? 0 : null);
      break;
  }
  return root;
}

/**
 * Structurally-valid-but-wrong values: a valid instance with 1–3 mutations (a key removed,
 * a field retyped or set to a boundary value, an extra key — `__proto__` included — a string
 * or array grown past its limit, the whole value wrapped). Usually invalid; sometimes still
 * valid, so the oracle must come from the schema, not from the generator.
 *
 * @example
 * fc.sample(mutatedArb(fc.constant({ user: 'u1', k: 5 })), 3); // e.g. [{ user: 'u1' }, { user: null, k: 5 }, …]
 */
export function mutatedArb<T>(valid: fc.Arbitrary<T>, maxOps = 3): fc.Arbitrary<unknown> {
  const op = fc.tuple(
    fc.constantFrom<Op[0]>('delete', 'retype', 'retype', 'retype', 'extra', 'grow', 'empty', 'wrap'),
    fc.nat(),
    wrongValueArb,
    extraKeyArb,
  );
  return fc
    .tuple(valid, fc.array(op, { minLength: 1, maxLength: maxOps }))
    .map(([v, ops]) => ops.reduce<unknown>((acc, o) => applyOp(acc, o as Op), structuredClone(v)));
}

/**
 * Request bodies derived from a valid-body arbitrary: valid, mutated, random JSON, broken
 * JSON (truncated, trailing garbage, NaN literals, deep nesting), random text.
 */
export function jsonBodyArb<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<string> {
  const text = (v: unknown) => JSON.stringify(v) ?? 'undefined';
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(text) },
    { weight: 6, arbitrary: mutatedArb(valid).map(text) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.tuple(valid.map(text), fc.nat()).map(([s, n]) => s.slice(0, n % Math.max(1, s.length))) },
    { weight: 1, arbitrary: fc.tuple(valid.map(text), fc.constantFrom(',', '}', ']', 'x', ' //', '\u0000')).map(([s, t]) => s + t) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '', ' ', 'null', 'true', '0', '""', '[]', '{}', 'NaN', '{"a":NaN}', "{'a':1}", '{"a":1,}', '\ufeff{}', '['.repeat(5_000) + ']'.repeat(5_000),
        '{"a":'.repeat(2_000) + '1' + '}'.repeat(2_000), '1e400', '-', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: anyCharArb }) },
  );
}

/** Malformed msgpack headers that promise far more than they carry (allocation bombs). */
const MSGPACK_BOMBS: readonly number[][] = [
  [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4 Gi elements
  [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of 4 Gi pairs
  [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str32 of 4 GiB
  [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], // bin32 of 4 GiB
  [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext32 of 4 GiB
  [0xd4, 0xff, 0x00], // fixext1 type -1 (timestamp) with a wrong length
  [0xc1], // never used
  [0x81, 0xa1, 0x76], // map missing its value
];

/** Random msgpack-encodable values (no bigint: msgpackr refuses those past 64 bits). */
const anyValueArb = fc.anything({ maxDepth: 3, maxKeys: 5, withDate: true, withTypedArray: true, withNullPrototype: true, withObjectString: true });

function encodeOr(v: unknown, fallback: Uint8Array): Uint8Array {
  try {
    return encode(v);
  } catch {
    return fallback;
  }
}

/**
 * MQTT payloads for a topic whose valid messages `valid` produces: arbitrary bytes, msgpack
 * bombs and nesting, random msgpack values, field-mutated valid messages, valid encodings
 * truncated/bit-flipped/extended, and valid messages themselves.
 *
 * @example
 * fc.asyncProperty(payloadArb(validStatusArb), async (p) => transport.publish(topic, p));
 */
export function payloadArb<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<Uint8Array> {
  const empty = new Uint8Array([0xc0]);
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constantFrom(...MSGPACK_BOMBS).map((b) => new Uint8Array(b)) },
    // n-deep nested arrays; now and then past the stack (a RangeError inside the decoder; costly, so rare)
    { weight: 1, arbitrary: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 2_000 }) }, { weight: 1, arbitrary: fc.constant(20_000) }).map((n) => new Uint8Array(n).fill(0x91)) },
    { weight: 2, arbitrary: anyValueArb.map((v) => encodeOr(v, empty)) },
    { weight: 8, arbitrary: mutatedArb(valid).map((v) => encodeOr(v, empty)) },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('truncate', 'flip', 'append')).map(([v, at, x, how]) => {
        // copies throughout: encode() hands out Buffers, whose slice() is a view
        const b = new Uint8Array(encodeOr(v, empty));
        const i = at % b.byteLength;
        if (how === 'truncate') return b.subarray(0, i);
        if (how === 'append') return new Uint8Array([...b, x]);
        b[i] ^= x;
        return b;
      }),
    },
    { weight: 2, arbitrary: valid.map((v) => encodeOr(v, empty)) },
  );
}

/**
 * A cheap assertion for per-case checks (vitest's `expect` costs ~10 µs a call, which adds up
 * over 10,000 cases); fast-check reports the thrown message with the counterexample.
 *
 * @example
 * must(res.status < 500, `${path} answered ${res.status}`);
 */
export function must(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new Error(typeof message === 'function' ? message() : message);
}

/** The JSON error body every edgerec HTTP API promises for a status ≥ 400. */
export interface ErrorShape {
  error: { code: string; message: string };
}

/**
 * Why a response is not "a clear answer": a 5xx, or a status ≥ 400 whose body is not JSON
 * `{error:{code,message}}` with non-empty strings (HEAD answers have no body). `null` when fine.
 *
 * @example
 * expect(await unclearResponse(res, 'GET')).toBeNull();
 */
export async function unclearResponse(res: Response, method: string): Promise<string | null> {
  if (res.status >= 500) return `status ${res.status}: ${(await res.text()).slice(0, 300)}`;
  if (res.status < 400 || method === 'HEAD') return null;
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (!/^application\/json\b/.test(type)) return `status ${res.status} with content-type "${type}": ${text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const e = (body as Partial<ErrorShape> | null)?.error;
  if (!e || typeof e.code !== 'string' || e.code === '' || typeof e.message !== 'string' || e.message === '') {
    return `status ${res.status} without a clear {error:{code,message}}: ${text.slice(0, 200)}`;
  }
  return null;
}
