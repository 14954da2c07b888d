/** A fenced code block of a Markdown file: its info string (`ts embed`, `sh`…), body and first line. */
export interface Block {
  info: string
  body: string
  line: number
}

/** The fenced blocks of a Markdown file, in order. */
export function blocks(text: string): Block[] {
  const found: Block[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string)
    if (open === null) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] as string)
    found.push({ info: (open[1] as string).trim(), body: body.join('\n'), line: start + 1 })
  }
  return found
}
