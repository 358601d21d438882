import { storageDriverSuite } from './conformance/storage-driver-suite.js';
import { createMemoryDriver } from './memory-driver.js';

storageDriverSuite('memory', async () => ({ driver: createMemoryDriver(), cleanup: async () => {} }));
