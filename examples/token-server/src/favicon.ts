/** The demo's icon (a key on the header's dark blue), served as `/favicon.svg` and `/favicon.ico`. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="#1d2330"/>
<circle cx="24" cy="32" r="11" fill="none" stroke="#c9d3ff" stroke-width="6"/>
<path d="M35 32h20M47 32v9M54 32v7" fill="none" stroke="#c9d3ff" stroke-width="6" stroke-linecap="round"/>
</svg>
`
