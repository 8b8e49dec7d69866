"""Reading a big luarocks tree manifest with restybuild.luatable / rocks_manifest.

Generates the `lib/luarocks/rocks-5.1/manifest` of a tree with N installed rocks (10
modules, a command and three dependencies each, laid out as luarocks' persist writes
it: about 2.5 KB a rock, 12.7 MB for 5,000) and times `read_assignments` and
`read_manifest` on it, median of a few runs. Target: a 10 MB manifest in under 10 s.

    python bench/bench_luatable.py [--rocks 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _key(key: str) -> str:
    return key if key.isidentifier() and key.isascii() else f'["{key}"]'


def lua(value: object, level: int = 0) -> str:
    """`value` as Lua source, indented like luarocks' persist.write_value."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int):
        return str(value)
    pad = "   " * (level + 1)
    if isinstance(value, list):
        items = [pad + lua(v, level + 1) for v in value]
    else:
        assert isinstance(value, dict)
        items = [f"{pad}{_key(k)} = {lua(v, level + 1)}" for k, v in sorted(value.items())]
    return "{\n" + ",\n".join(items) + "\n" + "   " * level + "}" if items else "{}"


def generate(rocks: int) -> bytes:
    repository: dict[str, object] = {}
    modules: dict[str, list[str]] = {}
    commands: dict[str, list[str]] = {}
    dependencies: dict[str, object] = {}
    for i in range(rocks):
        name, version = f"rock-{i:05d}", f"{i % 7}.{i % 13}.{i % 5}-1"
        ident = f"{name}/{version}"
        mods = {f"r{i}.mod{j}": f"r{i}/mod{j}.lua" for j in range(9)}
        mods[f"r{i}_core"] = f"r{i}_core.so"
        for mod in mods:
            modules.setdefault(mod, []).append(ident)
        cmds = {f"r{i}-tool": f"r{i}-tool"}
        commands[f"r{i}-tool"] = [ident]
        deps = {f"rock-{(i + k) % rocks:05d}": f"1.{k}.0-1" for k in (1, 2, 3)}
        repository[name] = {version: [{"arch": "installed", "commands": cmds,
                                       "dependencies": deps, "modules": mods}]}
        query = [{"constraints": [{"op": ">=", "version": {"string": "5.1"}}], "name": "lua"}]
        query += [{"constraints": [{"op": "~>", "version": {"string": v}}], "name": d}
                  for d, v in deps.items()]
        dependencies[name] = {version: query}
    table = {"commands": commands, "dependencies": dependencies, "modules": modules,
             "repository": repository}
    return "".join(f"{k} = {lua(v)}\n" for k, v in sorted(table.items())).encode()


def main() -> int:
    from restybuild.luatable import read_assignments
    from restybuild.rocks_manifest import read_manifest

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rocks", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    source = generate(args.rocks)
    print(f"manifest of {args.rocks} rocks: {len(source) / 1e6:.1f} MB")
    for label, fn in (("read_assignments", read_assignments), ("read_manifest", read_manifest)):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn(source)
            times.append(time.perf_counter() - start)
        print(f"{label}: median {statistics.median(times):.2f} s of {args.runs}")
    manifest = read_manifest(source)
    assert len(manifest.rocks) == args.rocks
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
