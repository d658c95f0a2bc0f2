// CJS: `require` the built @nn/tune (package.json exports → dist/index.cjs).
const check = require('./check.cjs');
check(require('@nn/tune'), require('@nn/core'), 'cjs').then(console.log, (e) => {
  console.error(e);
  process.exit(1);
});
