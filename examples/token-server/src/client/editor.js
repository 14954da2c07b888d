// The playground's code editor, bundled by esbuild when the playground starts (src/editor-bundle.ts)
// and served as /playground/editor-<hash>.js: CodeMirror 6 with JavaScript highlighting and line
// numbers, nothing from a CDN. It sets `window.playgroundEditor`, which the page's script uses.
import { EditorView, basicSetup } from 'codemirror'
import { javascript } from '@codemirror/lang-javascript'

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', border: '1px solid #8a93a3', borderRadius: '6px', backgroundColor: '#fff' },
  '&.cm-focused': { outline: '3px solid #3454d1', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.45' },
  '.cm-gutters': { backgroundColor: '#f4f6fa', color: '#525b6b', borderRight: '1px solid #d9dee7' },
  '.cm-content': { minHeight: 'var(--editor-min, 120px)' },
})

/**
 * An editor in `parent` holding `text`, labelled `label` for screen readers; `onChange` runs after
 * each edit. Tab moves the focus on (CodeMirror's default: the page stays keyboard usable).
 */
function create(parent, text, label, onChange) {
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [
      basicSetup,
      javascript(),
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && onChange) onChange()
      }),
    ],
  })
  return {
    view,
    get value() {
      return view.state.doc.toString()
    },
    set value(next) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } })
    },
    /** Select line `number` (1-based), scroll it into view and focus the editor. */
    goToLine(number) {
      const line = view.state.doc.line(Math.min(Math.max(1, number), view.state.doc.lines))
      view.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true })
      view.focus()
    },
  }
}

window.playgroundEditor = { create }
