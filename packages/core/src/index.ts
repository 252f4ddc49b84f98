export * from './errors.js';
export * from './metadata/index.js';
export * from './safe-fetch.js';
export * from './url.js';
export * from './www-authenticate.js';
