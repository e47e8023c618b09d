export { inOperationSpan, inRequestSpan, traceStatement } from './spans.js';
