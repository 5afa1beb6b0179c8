import { describe } from 'vitest';
import { MemoryOnlineStore } from '../../src/adapters/memory/memory-online-store.js';
import { onlineStoreConformance } from '../support/online-store-conformance.js';

describe('MemoryOnlineStore', () => {
  onlineStoreConformance('memory', () => Promise.resolve(new MemoryOnlineStore()));
});
