/**
 * The package's root directory, where package.json and schemas/ live: one level up from this
 * module in src/ and in dist/, and from the CLI bundle (dist/cli.mjs), which inlines this module.
 */
export const PACKAGE_ROOT = new URL('../', import.meta.url);
