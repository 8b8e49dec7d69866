"""A seeded generator of Lua chunks whose braces balance the way lua-nginx-module counts them.

The chunks are made to be hard on a brace counter: long strings and long comments of levels
0-3 holding braces, quotes and other levels' closers; short strings with escaped quotes and
braces; "'" inside "[[it's]]"; line comments holding "}" (and "---[[" which is a line comment,
not a long one); real nested tables; "t[t[1]]"; LF or CRLF line ends.
"""

from __future__ import annotations

import random

_LONG_BODY = "ab {}}{ '\"-- --[[ [[ ]=] ]==] x ]] [=[ it's \\n \\ \"'"
_SHORT_BODY = "ab {}}{ -- [[ ]] [=[ ]=] x $ ; #"  # quotes and backslashes come as escapes
_COMMENT_BODY = "ab {}}{ ' \" ]] [[ x ; # }"


class LuaGen:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.nl = "\n"

    def _pick(self, alphabet: str, lo: int, hi: int) -> str:
        return "".join(self.rnd.choice(alphabet) for _ in range(self.rnd.randint(lo, hi)))

    def _long(self, comment: bool) -> str:
        level = "=" * self.rnd.randint(0, 3)
        closer = f"]{level}]"
        body = self._pick(_LONG_BODY, 0, 20)
        if self.rnd.random() < 0.4:
            body += self.nl + self._pick(_LONG_BODY, 0, 10)
        if self.rnd.random() < 0.3:
            body += "it's"
        # the body must not close the bracket early (nor end in "]" + level)
        while (body + closer).find(closer) != len(body):
            body = body.replace("]", ")", 1)
        return f"{'--' if comment else ''}[{level}[{body}{closer}"

    def _short(self) -> str:
        q = self.rnd.choice("\"'")
        parts = []
        for _ in range(self.rnd.randint(0, 8)):
            pick = self.rnd.random()
            if pick < 0.2:
                parts.append("\\" + q)
            elif pick < 0.3:
                parts.append("\\\\")
            elif pick < 0.35:
                parts.append("\\n")
            else:
                parts.append(self.rnd.choice(_SHORT_BODY + ('"' if q == "'" else "'")))
        return q + "".join(parts) + q

    def _table(self, depth: int) -> str:
        items = []
        for _ in range(self.rnd.randint(0, 3)):
            pick = self.rnd.random()
            if depth < 3 and pick < 0.4:
                items.append(self._table(depth + 1))
            elif pick < 0.6:
                items.append(self._short())
            elif pick < 0.7:
                items.append(self._long(False))
            else:
                items.append(str(self.rnd.randint(0, 99)))
        return "{" + self.rnd.choice(("", " ")) + ", ".join(items) + "}"

    def _statement(self) -> str:
        pick = self.rnd.randint(0, 11)
        if pick == 0:
            return f"local t = {self._table(0)}"
        if pick == 1:
            return f"ngx.say({self._short()})"
        if pick == 2:
            return f"local s = {self._long(False)}"
        if pick == 3:
            return self._long(True)
        if pick == 4:
            return "-- " + self._pick(_COMMENT_BODY, 0, 15)
        if pick == 5:
            return "---[[ not a long comment } " + self._pick(_COMMENT_BODY, 0, 5)
        if pick == 6:
            return "local x = t[t[1]] - 1 -- }"
        if pick == 7:
            return "local y = [[it's]] .. '{' .. \"}\" .. [==[ ]] } ]==]"
        if pick == 8:
            return "if x then local z = { {}, { {} } } end"
        if pick == 9:
            return "local f = function() return { a = { b = '}' } } end"
        if pick == 10:
            return f"local u = t[ {self._long(False)} ] --[[ {{ ]] ngx.log(ngx.ERR, '}}')"
        return "ngx.var.x = 1 - -2"

    def chunk(self) -> str:
        self.nl = self.rnd.choice(("\n", "\r\n"))
        indent = self.rnd.choice(("", "    ", "\t"))
        lines = [indent + self._statement() for _ in range(self.rnd.randint(0, 8))]
        lead = self.rnd.choice(("", " ", self.nl))
        tail = self.rnd.choice(("", self.nl, " "))
        if lines and "--" in lines[-1]:  # a line comment runs to the end of its line
            tail = self.nl
        return lead + self.nl.join(lines) + tail
