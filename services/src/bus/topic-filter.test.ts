import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterCovers, isValidTopicFilter, isValidTopicName, parseSharedFilter, topicMatches } from './topic-filter.js';

// Few distinct literals so generated filters and topics actually collide.
const literal = fc.constantFrom('a', 'b', 'edgerec', '', '$sys');
const topicArb = fc.array(literal, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filterArb = fc
  .tuple(fc.array(fc.oneof(literal, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));

/** Independent reference: the filter as a regular expression. */
function referenceMatch(filter: string, topic: string): boolean {
  const levels = filter.split('/');
  if (topic.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false;
  let re = levels
    .map((l) => (l === '+' ? '[^/]*' : l === '#' ? '#' : l.replace(/[$]/g, '\\$')))
    .join('/');
  re = re === '#' ? '.*' : re.replace(/\/#$/, '(/.*)?');
  return new RegExp(`^${re}$`).test(topic);
}

describe('topicMatches', () => {
  it.each([
    ['edgerec/v1/nodes/+/status', 'edgerec/v1/nodes/n1/status', true],
    ['edgerec/v1/nodes/+/status', 'edgerec/v1/nodes/n1/deltas', false],
    ['edgerec/v1/nodes/+/status', 'edgerec/v1/nodes/a/b/status', false],
    ['edgerec/v1/#', 'edgerec/v1', true],
    ['edgerec/v1/#', 'edgerec/v1/models/3/chunks/0', true],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker', true],
    ['a/+', 'a/', true],
    ['a/+', 'a', false],
    ['a/b', 'a/b/c', false],
    ['$share/g/a/+', 'a/x', true],
  ])('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('agrees with a regular-expression reference on random filters and topics', () => {
    fc.assert(fc.property(filterArb, topicArb, (f, t) => topicMatches(f, t) === referenceMatch(f, t)), {
      numRuns: 2000,
    });
  });

  it('a wildcard-free topic matches itself, and each level may be replaced by +', () => {
    fc.assert(
      fc.property(topicArb, fc.nat(), (topic, k) => {
        const levels = topic.split('/');
        levels[k % levels.length] = '+';
        const expectPlus = !(topic.startsWith('$') && k % levels.length === 0);
        return topicMatches(topic, topic) && topicMatches(levels.join('/'), topic) === expectPlus;
      }),
    );
  });

  it('a $share/group/ prefix does not change what matches', () => {
    fc.assert(fc.property(filterArb, topicArb, (f, t) => topicMatches(`$share/grp/${f}`, t) === topicMatches(f, t)));
  });
});

describe('filterCovers', () => {
  it('is sound: whatever the requested filter matches, the allowed one matches too', () => {
    fc.assert(
      fc.property(filterArb, filterArb, topicArb, (allowed, requested, topic) => {
        if (!filterCovers(allowed, requested) || !topicMatches(requested, topic)) return true;
        return topicMatches(allowed, topic);
      }),
      { numRuns: 5000 },
    );
  });

  it('is reflexive', () => {
    fc.assert(fc.property(filterArb, (f) => filterCovers(f, f)));
  });

  it.each([
    ['edgerec/v1/models/#', 'edgerec/v1/models/manifest', true],
    ['edgerec/v1/models/#', 'edgerec/v1/models/+/chunks/+', true],
    ['edgerec/v1/models/#', 'edgerec/v1/#', false],
    ['edgerec/v1/devices/+/events', 'edgerec/v1/devices/+/events', true],
    ['edgerec/v1/devices/+/events', 'edgerec/v1/devices/#', false],
    ['edgerec/v1/nodes/a/acks', 'edgerec/v1/nodes/+/acks', false],
    ['a/+/#', 'a/#', false],
    ['#', '$denied', false],
  ])('%s covers %s → %s', (allowed, requested, expected) => {
    expect(filterCovers(allowed, requested)).toBe(expected);
  });
});

describe('topic validation', () => {
  it('accepts wildcards only as whole levels, # only last', () => {
    expect(['a/+/c', 'a/#', '#', '+', '$share/g/a/#'].every(isValidTopicFilter)).toBe(true);
    expect(['a/b#', 'a/#/c', 'a+/b', '', '$share/g', '$share/g+/a'].some(isValidTopicFilter)).toBe(false);
  });

  it('refuses wildcards and empty names for publishing', () => {
    expect(isValidTopicName('edgerec/v1/models/manifest')).toBe(true);
    expect(['', 'a/+', 'a/#'].some(isValidTopicName)).toBe(false);
  });

  it('splits shared filters into group and filter', () => {
    expect(parseSharedFilter('$share/aggregators/edgerec/v1/nodes/+/deltas')).toEqual({
      group: 'aggregators',
      filter: 'edgerec/v1/nodes/+/deltas',
    });
    expect(parseSharedFilter('edgerec/v1/#')).toBeUndefined();
  });
});
