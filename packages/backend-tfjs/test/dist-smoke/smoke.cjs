// CJS: `require` the built @nn/backend-tfjs (package.json exports → dist/index.cjs).
const check = require('./check.cjs');
check(require('@nn/backend-tfjs'), require('@nn/core'), 'cjs').then(console.log, (e) => {
  console.error(e);
  process.exit(1);
});
