import { describeConformance } from './conformance-suite';
await describeConformance('cpu');
