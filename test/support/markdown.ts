// Code blocks of the docs, taken from the Markdown itself so the tests run what a reader reads.

/** The text of one section (from its heading to the next heading of level 2 or 3). */
export function section(markdown: string, heading: string, occurrence = 1): string {
  let start = -1;
  for (let n = 0; n < occurrence; n++) {
    start = markdown.indexOf(`\n${heading}\n`, start + 1);
    if (start === -1) throw new Error(`no section "${heading}" (occurrence ${occurrence})`);
  }
  const body = start + heading.length + 2;
  const next = markdown.slice(body).search(/\n#{2,3} /);
  return markdown.slice(start, next === -1 ? undefined : body + next);
}

/** The code blocks of one language (```sh, ```nginx, ```text) of a section, in order. */
export function codeBlocks(markdown: string, heading: string, lang = 'sh', occurrence = 1): string[] {
  // A block may be indented (inside a list item); its lines lose that indentation.
  const fence = new RegExp(`\\n( *)\`\`\`${lang}\\n([\\s\\S]*?)\\n\\1\`\`\`\\n`, 'g');
  return [...section(markdown, heading, occurrence).matchAll(fence)].map((m) =>
    m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), ''),
  );
}

/** The ```sh blocks of one section, in order. */
export function shellBlocks(markdown: string, heading: string, occurrence = 1): string[] {
  return codeBlocks(markdown, heading, 'sh', occurrence);
}
