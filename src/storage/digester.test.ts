import { digesterSuite } from './conformance/digester-suite.js';
import { inlineDigester } from './digester.js';

digesterSuite('in process', async () => ({ factory: inlineDigester, close: async () => {} }));
