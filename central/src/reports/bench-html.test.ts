import { describe, expect, it } from 'vitest';
import { renderBenchHtml } from './bench-html.js';

describe('renderBenchHtml', () => {
  it('inlines uPlot and the results so the page works offline, with no way to break out of the data block', () => {
    const html = renderBenchHtml({ quick: true, seconds: 1, results: { train: { events_per_s: 123, note: '</script><b>x' } } }, 'npm run bench -- all');
    expect(html).toContain('uPlot');
    expect(html).toContain('"events_per_s":123');
    expect(html).not.toMatch(/src="https?:/);
    expect(html.match(/<\/script>/g)?.length).toBe(4);
  });
});
