/** The review page's settings, remembered in this browser (localStorage). */
import { createSignal, type Accessor } from 'solid-js';
import { readStored, writeStored } from '../../client/web-storage.ts';

export interface StoredToggle {
  on: Accessor<boolean>;
  set(on: boolean): void;
  /** Reads the remembered value (call once mounted: there is no storage at build time). */
  load(): void;
}

function storedToggle(key: string): StoredToggle {
  const [on, setOn] = createSignal(false);
  return {
    on,
    set(value) {
      setOn(value);
      writeStored('local', key, value ? '1' : '0');
    },
    load: () => setOn(readStored('local', key) === '1'),
  };
}

export function createSettings() {
  return {
    /** The correction box starts empty instead of with the model's response. */
    startEmpty: storedToggle('plover.startEmpty'),
    /** Prompts and responses as plain text instead of rendered Markdown. */
    raw: storedToggle('plover.raw'),
  };
}

export type Settings = ReturnType<typeof createSettings>;
