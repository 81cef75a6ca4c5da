import { main } from './cli.ts';

// Entry of the single-file bundle and the single executable (CommonJS: no top-level await).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
