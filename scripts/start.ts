// `pnpm start`: the embedded default. Replaced by the collector's embedded mode once it exists.
console.log('pantau: collector not built yet; see README.md for the plan.');
