"""A seeded generator of nginx confs (no Lua blocks) that knows what it wrote.

Every generated conf comes with its own answer: each directive's name, argument values (as
nginx unescapes them), nesting, and the offsets where the directive and each argument begin
and end. With ``crossplane_safe`` the text stays inside what crossplane and nginx read alike
(no backslashes but an escaped quote of the same kind inside quotes, no "}" inside a word, no
quote right after a closing quote, ...), so crossplane can be a second judge.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional

NAMES = ("listen", "server_name", "root", "location", "proxy_pass", "add_header", "set",
         "return", "rewrite", "upstream", "map", "geo", "foo", "x_y", "a", "log_format",
         "error_page", "limit_req", "ssl_protocols", "events", "worker_processes")
PLAIN = "abcdefgxyzABCZ0123456789_./:=@~^*-+,!%&?|<>[]é€😀"
IN_QUOTES = PLAIN + " \t;{}#$()"


@dataclass
class Expected:
    name: str
    args: list[str]
    raws: list[tuple[int, int]]  # each argument's raw slice, quotes included
    start: int
    end: int = -1
    block: Optional[list[Expected]] = None


@dataclass
class _Out:
    parts: list[str] = field(default_factory=list)
    size: int = 0

    def add(self, s: str) -> tuple[int, int]:
        self.parts.append(s)
        self.size += len(s)
        return self.size - len(s), self.size


class ConfGen:
    def __init__(self, seed: int, crossplane_safe: bool) -> None:
        self.rnd = random.Random(seed)
        self.safe = crossplane_safe
        self.out = _Out()

    def _chars(self, alphabet: str, lo: int, hi: int) -> str:
        return "".join(self.rnd.choice(alphabet) for _ in range(self.rnd.randint(lo, hi)))

    def _newline(self) -> str:
        return self.rnd.choice(("\n", "\r\n"))

    def _space(self, comments: bool = True) -> str:
        pick = self.rnd.random()
        if comments and pick < 0.1:
            return f" #{self._chars(IN_QUOTES + '#', 0, 12)}{self._newline()}\t"
        if pick < 0.3:
            return self._newline() + self.rnd.choice(("", "  ", "\t", " \t "))
        return self.rnd.choice((" ", "  ", "\t", " \t"))

    def _plain(self) -> tuple[str, str]:
        kind = self.rnd.random()
        word = self._chars(PLAIN, 1, 8)
        if kind < 0.15:
            word = "$" + word
        elif kind < 0.25:
            # crossplane glues the whitespace after "${...}" to the word: keep a character there
            tail = self._chars(PLAIN, 1 if self.safe else 0, 3)
            word = f"${{{self._chars('abcxyz_', 1, 5)}}}{tail}"
        elif kind < 0.35:  # "#", quotes and "$" inside a word are ordinary characters
            word += self.rnd.choice(("#", "'", '"', "$x", "#x#")) + self._chars(PLAIN, 0, 3)
        if self.safe or self.rnd.random() < 0.6:
            return word, word
        extra = self.rnd.choice(("}", "\\;", "\\ ", "\\\\", '\\"', "\\t", "\\q", "\\{"))
        value = {"\\\\": "\\", '\\"': '"', "\\t": "\t"}.get(extra, extra)
        return word + extra + "z", word + value + "z"

    def _quoted(self) -> tuple[str, str]:
        q = self.rnd.choice("\"'")
        raw, value = [q], []
        for _ in range(self.rnd.randint(0, 10)):
            pick = self.rnd.random()
            if pick < 0.1:
                raw.append("\\" + q)
                value.append(q)
            elif pick < 0.15:
                nl = self._newline()
                raw.append(nl)
                value.append(nl)
            elif not self.safe and pick < 0.3:
                esc = self.rnd.choice(("\\\\", "\\'", '\\"', "\\n", "\\r", "\\t", "\\x", "\\$"))
                raw.append(esc)
                value.append({"\\\\": "\\", "\\'": "'", '\\"': '"', "\\n": "\n", "\\r": "\r",
                              "\\t": "\t"}.get(esc, esc))
            else:
                ch = self.rnd.choice(IN_QUOTES + ("'" if q == '"' else '"'))
                raw.append(ch)
                value.append(ch)
        raw.append(q)
        return "".join(raw), "".join(value)

    def _directive(self, depth: int) -> Expected:
        out = self.out
        name = self.rnd.choice(NAMES)
        start, _ = out.add(name)
        node = Expected(name, [], [], start)
        last = name
        for _ in range(self.rnd.randint(0, 4)):
            out.add(self._space())
            raw, value = self._quoted() if self.rnd.random() < 0.35 else self._plain()
            node.raws.append(out.add(raw))
            node.args.append(value)
            last = raw
        block = depth < 3 and self.rnd.random() < 0.3
        if block:
            if last.endswith("$") or self.rnd.random() < 0.7:
                out.add(self._space())
            out.add("{")
            node.block = [self._directive(depth + 1) for _ in range(self.rnd.randint(0, 4))]
            out.add(self._space())
            _, node.end = out.add("}")
        else:
            if self.rnd.random() < 0.3:
                out.add(self._space(comments=False))
            _, node.end = out.add(";")
        if not node.block:
            out.add(self._space())
        return node

    def conf(self) -> tuple[str, list[Expected]]:
        self.out = _Out()
        if self.rnd.random() < 0.3:
            self.out.add(self._space())
        nodes = []
        for _ in range(self.rnd.randint(1, 6)):
            nodes.append(self._directive(0))
            self.out.add(self._space())
        return "".join(self.out.parts), nodes
