import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The playground's editor script, bundled: its code and the hashed path it is served at. */
export interface EditorBundle {
  /** `/playground/editor-<hash>.js`: the hash changes with the code, so the answer is cached for good. */
  path: string
  code: string
}

const entry = fileURLToPath(new URL('./client/editor.js', import.meta.url))
let bundle: Promise<EditorBundle> | undefined

/**
 * CodeMirror 6 and its JavaScript mode bundled by esbuild from `src/client/editor.js` into one
 * minified script (the installed packages; nothing from the network). Built once per process, the
 * first time it is asked for; later calls answer the same bundle.
 */
export function editorBundle(): Promise<EditorBundle> {
  bundle ??= build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    minify: true,
    write: false,
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
  }).then((result) => {
    const code = result.outputFiles[0]?.text
    if (code === undefined) throw new Error('esbuild produced no editor bundle')
    const hash = createHash('sha256').update(code).digest('base64url').slice(0, 12)
    return { path: `/playground/editor-${hash}.js`, code }
  })
  bundle.catch(() => (bundle = undefined))
  return bundle
}
