export { default } from '../../vitest.shared.mts';
