// CJS: `require` the built @nn/data (package.json exports → dist/index.cjs).
const check = require('./check.cjs');
check(require('@nn/data'), require('@nn/core'), 'cjs').then(console.log, (e) => {
  console.error(e);
  process.exit(1);
});
