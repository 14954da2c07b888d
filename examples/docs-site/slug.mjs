// GitHub's heading anchors (github-slugger's rule: lower case, punctuation dropped, spaces → '-'),
// shared by build.mjs (the site's heading ids) and the tests that check links into the guides.

/** GitHub's anchor for a heading whose text is `text` (before any `-1`, `-2` for repeats). */
export function githubSlug(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}
