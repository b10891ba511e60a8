/**
 * tm's name on the npm registry. Everything tm writes that installs or runs tm from the
 * registry (templates' package.json, the CI workflow, the migration image) names this package;
 * the binaries it provides stay `tm` and `taskmaster`. (The registry's `taskmaster` is an
 * unrelated package.)
 */
export const PACKAGE_NAME = 'taskmaster-cli';
