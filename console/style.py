"""The page's style sheet, served at ``/console.css`` so that the Content-Security-Policy needs no
inline style. It lives in a module, not a file, so it ships with the package like the code."""

from __future__ import annotations

import hashlib

CSS = """\
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f4f6f8; }
header { background: #1d2733; color: #fff; padding: .6rem 1.2rem; display: flex; justify-content: space-between; align-items: center; }
header a { color: #fff; } header button { color: #1d2733; }
header form { margin: 0; } form.inline { display: inline; }
main { max-width: 1100px; margin: 1rem auto; padding: 0 1rem; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.05rem; margin: 0 0 .6rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
.grid section { margin: 0; }
.big { font-size: 1.6rem; font-weight: 600; } .muted { color: #5b6b7b; } .spaced { margin-top: .5rem; }
.bar { background: #e6ebf0; border-radius: 4px; height: 12px; overflow: hidden; margin: .3rem 0; }
.bar > svg { display: block; width: 100%; height: 100%; } .bar rect { fill: #2f6fb0; }
.bar.warn rect { fill: #e0a030; } .bar.full rect { fill: #b8434b; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eef1f4; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.notice { background: #e5f4ea; border-color: #9fd3b0; } .error { background: #fbe9ea; border-color: #e5a3a8; }
.state-Completed { color: #2d7a48; } .state-Failed { color: #b8434b; } .state-Cancelled, .state-CreditCeiling, .state-ProcessBudget { color: #b7791f; }
button { cursor: pointer; } input[type=number] { width: 6em; }
svg { width: 100%; height: auto; }
"""  # noqa: E501

VERSION = hashlib.sha256(CSS.encode()).hexdigest()[:12]  # in the page's link, so a new sheet is fetched at once
