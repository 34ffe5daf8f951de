// The page's queue store: pages in order, and a page that arrives for filters the
// reviewer has since changed never mixes into the new list.
import { createRoot } from 'solid-js';
import { describe, expect, it } from 'vitest';
import { createQueue, PAGE } from '../../src/components/review/queue.ts';
import type { LabelBackend, QueuePage } from '../../src/lib/review/label-backend.ts';
import { memoryService } from '../helpers/memory-service.ts';

const ann = { name: 'Ann', email: 'ann@example.org' };

describe('createQueue', () => {
  it('loads page after page until the queue is exhausted', async () => {
    const { service } = memoryService(Array.from({ length: PAGE + 5 }, (_, i) => ({ id: `c${i}` })));
    await createRoot(async (dispose) => {
      const queue = createQueue(service.backend(ann), {});
      await queue.loadMore();
      expect(queue.items()).toHaveLength(PAGE);
      expect(queue.exhausted()).toBe(false);
      await queue.loadMore();
      expect(queue.items().map((c) => c.id)).toEqual(Array.from({ length: PAGE + 5 }, (_, i) => `c${i}`));
      expect(queue.exhausted()).toBe(true);
      dispose();
    });
  });

  it('drops a page asked for under the filters before the last change', async () => {
    const { service } = memoryService([
      { id: 'a1', model_response: 'apple' },
      { id: 'b1', model_response: 'banana' },
      { id: 'a2', model_response: 'apple' },
    ]);
    const real = service.backend(ann);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const backend: LabelBackend = {
      ...real,
      // The first answer (for "apple") comes late, after the reviewer switched to "banana".
      queue: async (after, limit, filters): Promise<QueuePage> => {
        const page = await real.queue(after, limit, filters);
        if (filters?.q === 'apple') await held;
        return page;
      },
    };
    await createRoot(async (dispose) => {
      const queue = createQueue(backend, { q: 'apple' });
      const slow = queue.loadMore();
      queue.setFilters({ q: 'banana' });
      await queue.loadMore();
      release();
      await slow;
      expect(queue.items().map((c) => c.id)).toEqual(['b1']);
      expect(queue.filters()).toEqual({ q: 'banana' });
      dispose();
    });
  });
});
