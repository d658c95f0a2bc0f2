export { getLoss } from '../losses';
export { getMetric } from '../metrics';
