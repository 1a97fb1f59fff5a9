#!/usr/bin/env python3
"""Checks that the modules of blosc2-core depend on each other one way only.

    python3 scripts/check_layers.py [--graph]

Reads every `.rs` file under crates/blosc2-core/src, drops comments (doc links are not
dependencies) and string literals, and collects the module paths the code names:
`crate::a::b`, `super::x` (resolved from the file's own module) and `use crate::{a, b}`
groups. Test modules count like any other code.

Fails (exit status 1) when

* two top-level modules (`chunk`, `frame`, `schunk`, ...) reach each other, directly or
  through others (a cycle in the graph of top-level modules);
* `frame` names anything of `schunk` (frames are the storage super-chunks use; a super-chunk
  is never part of a frame);
* two submodules of `frame` or of `schunk` reach each other (a cycle inside the layer).

With `--graph`, prints the graph of top-level modules (module -> the modules it uses).
Python 3 standard library only.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "crates", "blosc2-core", "src")

# Layers whose submodules must not form cycles either.
CHECK_INSIDE = ("frame", "schunk")
# (user, used): top-level modules that must never name each other in this direction.
FORBIDDEN = [("frame", "schunk")]

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
PATH_RE = re.compile(r"\b(crate|super)((?:\s*::\s*" + IDENT + r")*)(\s*::\s*\{)?")


def strip(src):
    """Source without comments, string and char literals (replaced by spaces)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and (i == 0 or src[i - 1] == "b" or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'r(#*)"', src[i:])
            end = src.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and src[i] != '"':
                i += 2 if src[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", src[i:i + 12]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", src[i:])
            i += len(m.group(0))
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of(rel):
    """Module path of a source file: `frame/disk.rs` -> ['frame', 'disk']."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return parts


def group_items(text, start):
    """Top-level names of a `{...}` use group starting after the `{` at `start`."""
    depth, i, item, items = 1, start, "", []
    while i < len(text) and depth:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if depth == 1 and c == ",":
            items.append(item)
            item = ""
        elif depth >= 1 and not (depth == 1 and c == "{"):
            item += c
        i += 1
    items.append(item)
    names = []
    for it in items:
        m = re.match(r"\s*(" + IDENT + r")", it)
        if m:
            names.append(m.group(1))
    return names


def references(path, module):
    """Module paths (lists of names, from the crate root) named in a file."""
    text = strip(open(path, encoding="utf-8").read())
    refs = []
    for m in PATH_RE.finditer(text):
        names = [p.strip() for p in m.group(2).split("::") if p.strip()]
        if m.group(1) == "crate":
            base = []
        else:
            base = list(module)
            base.pop() if base else None
            while names and names[0] == "super":
                names.pop(0)
                base.pop() if base else None
        if m.group(3):
            for item in group_items(text, m.end()):
                refs.append(base + names + [item])
        else:
            refs.append(base + names)
    return refs


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    top = {}  # top-level module -> {used top-level module: [where]}
    inner = {name: {} for name in CHECK_INSIDE}
    tops = set()
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ROOT)
            module = module_of(rel)
            if not module:
                continue  # lib.rs: declares the modules
            tops.add(module[0])
            for ref in references(path, module):
                if not ref:
                    continue
                if ref[0] != module[0]:
                    top.setdefault(module[0], {}).setdefault(ref[0], []).append(rel)
                elif module[0] in inner and len(module) > 1 and len(ref) > 1 and ref[1] != module[1]:
                    inner[module[0]].setdefault(module[1], {}).setdefault(ref[1], []).append(rel)
    known = tops | {"error"}
    graph = {m: {u for u in used if u in known} for m, used in top.items()}
    if "--graph" in sys.argv:
        for m in sorted(tops):
            print(f"{m} -> {', '.join(sorted(graph.get(m, ()))) or '(nothing)'}")
    problems = []
    for comp in cycles(graph):
        where = {f"{a} -> {b}: {', '.join(sorted(set(top[a][b])))}" for a in comp for b in comp if b in top.get(a, {})}
        problems.append(f"cycle between top-level modules {', '.join(comp)}:\n    " + "\n    ".join(sorted(where)))
    for a, b in FORBIDDEN:
        if b in top.get(a, {}):
            problems.append(f"{a} uses {b} (not allowed): {', '.join(sorted(set(top[a][b])))}")
    for layer, g in inner.items():
        for comp in cycles({k: set(v) for k, v in g.items()}):
            where = {f"{layer}::{a} -> {layer}::{b}: {', '.join(sorted(set(g[a][b])))}"
                     for a in comp for b in comp if b in g.get(a, {})}
            problems.append(f"cycle inside {layer}: {', '.join(comp)}:\n    " + "\n    ".join(sorted(where)))
    for p in problems:
        print("error: " + p, file=sys.stderr)
    if problems:
        return 1
    print(f"check_layers: no cycle among {len(tops)} top-level modules of blosc2-core", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
