export * from '../api/errors';
export * from './device';
export * from './buffer-pool';
export * from './buffers';
export * from './pipeline-cache';
export * from './recorder';
export * from './uniform-arena';
export * from './wgsl-preprocess';
