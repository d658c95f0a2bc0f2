export * from './elementwise';
export * from './activations';
export * from './reduce';
export * from './shape';
export * from './matmul';
export * from './conv';
export * from './creation';
export * from './nn-functional';
