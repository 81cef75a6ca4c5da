import pkg from '../package.json' with { type: 'json' };

/** The agent's version from its package.json; imported so the single-file bundle carries it. */
export const AGENT_VERSION: string = pkg.version;
