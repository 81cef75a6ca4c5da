/** pantau-collector command line. Filled in by the collector's own issue. */
export async function main(_argv: string[]): Promise<number> {
  console.error('pantau-collector: not built yet');
  return 1;
}
