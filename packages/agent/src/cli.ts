/** pantau-agent command line. Filled in by the agent's own issue. */
export async function main(_argv: string[]): Promise<number> {
  console.error('pantau-agent: not built yet');
  return 1;
}
