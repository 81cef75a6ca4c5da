export * from './actions.ts';
export * from './codec.ts';
export * from './duration.ts';
export * from './errors.ts';
export * from './frames.ts';
export * from './glob.ts';
export * from './limits.ts';
export * from './metrics.ts';
