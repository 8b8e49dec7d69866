"""A literal port of nginx's conf reader, as a slow oracle for the fuzz test.

``ngx_conf_read_token`` and ``ngx_conf_parse`` (src/core/ngx_conf_file.c) and lua-nginx-module's
``ngx_http_lua_conf_read_lua_token`` / ``ngx_http_lua_conf_lua_block_parse``, line for line: a
real 4096-byte buffer refilled from the "file" with memmove, nginx's own line counter, one
character at a time. Only the Lua DFA is stood in for by the same regular expression the
module under test uses. Results are trees of (name, args, children or Lua body) and errors are
(message, line).

Two deliberate differences from what nginx prints, both kept out of the port's logic: the
character in 'unexpected "X"' is the whole UTF-8 character (nginx prints its first byte), and
the line is the true one. nginx's counter misses the lines of Lua it skips after its lexer
finds no token in a whole buffer, so after such a skip nginx names lines too low; the port
counts those lines apart (``lost``) and adds them back.
"""

from __future__ import annotations

from typing import Any, Union

from restybuild.conf.luablock import _TOKEN, LUA_BLOCK_ARGS, LUA_BLOCK_DIRECTIVES

BUF = 4096
LF, CR = 10, 13
OK, BLOCK_START, BLOCK_DONE, FILE_DONE = range(4)
Tree = list[tuple[str, list[str], Union["Tree", str, None]]]


class NginxError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line  # the true line (nginx's + lines it lost)


def _unescape(src: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(src):
        if src[i] == 0x5C and i + 1 < len(src):
            nxt = src[i + 1]
            if nxt in b"\"'\\":
                i += 1
            elif nxt in b"trn":
                out.append({0x74: 9, 0x72: 13, 0x6E: 10}[nxt])
                i += 2
                continue
        out.append(src[i])
        i += 1
    return bytes(out)


class Ref:
    def __init__(self, data: bytes) -> None:
        self.file = data
        self.offset = 0
        self.buf = bytearray(BUF)
        self.pos = self.last = 0
        self.line = 1
        self.lost = 0  # lines nginx's counter never saw
        self.args: list[bytes] = []

    def error(self, message: str, line: int | None = None) -> NginxError:
        return NginxError(message, (self.line if line is None else line) + self.lost)

    def _read(self, at: int, size: int) -> None:
        self.buf[at:at + size] = self.file[self.offset:self.offset + size]
        self.offset += size

    def read_token(self) -> int:
        found = need_space = sharp_comment = variable = quoted = s_quoted = d_quoted = False
        last_space = True
        self.args = []
        start, start_line = self.pos, self.line
        while True:
            if self.pos >= self.last:
                if self.offset >= len(self.file):
                    if self.args or not last_space:
                        raise self.error('unexpected end of file, expecting ";" or "}"', self.line)
                    return FILE_DONE
                length = self.pos - start
                if length == BUF:
                    self.line = start_line
                    if d_quoted or s_quoted:
                        q = '"' if d_quoted else "'"
                        raise self.error("too long parameter, probably missing terminating "
                                         f'"{q}" character', self.line)
                    shown = bytes(self.buf[start:start + 10]).decode("utf-8", "replace")
                    raise self.error(f'too long parameter "{shown}..." started', self.line)
                if length:
                    self.buf[0:length] = self.buf[start:start + length]
                size = min(len(self.file) - self.offset, BUF - length)
                self._read(length, size)
                self.pos = length
                self.last = self.pos + size
                start = 0
            ch = self.buf[self.pos]
            self.pos += 1
            if ch == LF:
                self.line += 1
                sharp_comment = False
            if sharp_comment:
                continue
            if quoted:
                quoted = False
                continue
            if need_space:
                if ch in (32, 9, CR, LF):
                    last_space, need_space = True, False
                    continue
                if ch == 0x3B:
                    return OK
                if ch == 0x7B:
                    return BLOCK_START
                if ch == 0x29:
                    last_space, need_space = True, False
                else:
                    char = bytes(self.buf[self.pos - 1:self.pos + 3]).decode("utf-8", "replace")
                    raise self.error(f'unexpected "{char[0]}"')
            if last_space:
                start, start_line = self.pos - 1, self.line
                if ch in (32, 9, CR, LF):
                    continue
                if ch in (0x3B, 0x7B):
                    if not self.args:
                        raise self.error(f'unexpected "{chr(ch)}"', self.line)
                    return BLOCK_START if ch == 0x7B else OK
                if ch == 0x7D:
                    if self.args:
                        raise self.error('unexpected "}"', self.line)
                    return BLOCK_DONE
                if ch == 0x23:
                    sharp_comment = True
                    continue
                last_space = False
                if ch == 0x5C:
                    quoted = True
                elif ch == 0x22:
                    start += 1
                    d_quoted = True
                elif ch == 0x27:
                    start += 1
                    s_quoted = True
                elif ch == 0x24:
                    variable = True
                continue
            if ch == 0x7B and variable:
                continue
            variable = False
            if ch == 0x5C:
                quoted = True
                continue
            if ch == 0x24:
                variable = True
                continue
            if d_quoted:
                if ch == 0x22:
                    d_quoted, need_space, found = False, True, True
            elif s_quoted:
                if ch == 0x27:
                    s_quoted, need_space, found = False, True, True
            elif ch in (32, 9, CR, LF, 0x3B, 0x7B):
                last_space = found = True
            if found:
                self.args.append(_unescape(bytes(self.buf[start:self.pos - 1])))
                if ch == 0x3B:
                    return OK
                if ch == 0x7B:
                    return BLOCK_START
                found = False

    def read_lua_token(self, ctx: list[int]) -> tuple[int, bytes]:
        start, start_line = self.pos, self.line + self.lost
        eof = "unexpected end of file, expecting terminating characters for lua code block"
        too_long = "too long lua code block, probably missing terminating characters"
        while True:
            if self.pos >= self.last or (self.last - self.pos < BUF // 2
                                         and self.offset < len(self.file)):
                if self.offset >= len(self.file):
                    raise NginxError(eof, ctx[0])
                length = self.last - start
                if length == BUF:
                    raise NginxError(too_long, start_line)
                if length:
                    self.buf[0:length] = self.buf[start:start + length]
                size = min(len(self.file) - self.offset, BUF - (0 + length))
                self._read(length, size)
                self.pos = self.pos - start
                self.last = length + size
                start = 0
            m = _TOKEN.search(bytes(self.buf[self.pos:self.last]))
            if m is None:
                if self.offset >= len(self.file):
                    raise NginxError(eof, ctx[0])
                length = self.last - self.pos
                if length == BUF:
                    raise NginxError(too_long, start_line)
                self.lost += self.buf[self.pos:self.last].count(LF)  # never counted by nginx
                if length:
                    self.buf[0:length] = self.buf[self.pos:self.pos + length]
                size = min(len(self.file) - self.offset, BUF - length)
                self._read(length, size)
                self.pos = length
                self.last = self.pos + size
                start = 0
                continue
            rc, o0, o1 = m.lastindex or 0, m.start(), m.end()
            if rc in (3, 4):
                self.line += self.buf[self.pos:self.pos + o0].count(LF)
                self.pos += o0
                o1 -= o0
                o0 = 0
                p = self.pos + (2 if rc == 4 else 0)
                closing = b"]" + bytes(self.buf[p + 1:self.pos + o1 - 1]) + b"]"
                q = bytes(self.buf[:self.last]).find(closing, self.pos + o1)
                if q < 0:
                    raise self.error('Lua code block missing the closing long bracket "'
                                     f'{closing.decode()}", the inlined Lua code may be too long',
                                     self.line)
                o1 = q + len(closing) - self.pos
            self.line += self.buf[self.pos:self.pos + o1].count(LF)
            self.pos += o1
            return rc, bytes(self.buf[start:self.pos])

    def lua_block(self) -> str:
        ctx, level, words = [self.line + self.lost], 1, []
        while True:
            rc, word = self.read_lua_token(ctx)
            words.append(word)
            if rc == 1:
                ctx[0] = self.line + self.lost
                level += 1
            elif rc == 2:
                level -= 1
                if level == 0:
                    return b"".join(words)[:-1].decode("utf-8", "surrogateescape")

    def parse(self, block: bool = False) -> Tree:
        out: Tree = []
        while True:
            rc = self.read_token()
            if rc == BLOCK_DONE:
                if not block:
                    raise self.error('unexpected "}"', self.line)
                return out
            if rc == FILE_DONE:
                if block:
                    raise self.error('unexpected end of file, expecting "}"', self.line)
                return out
            name, *args = (a.decode("utf-8", "surrogateescape") for a in self.args)
            body: Any = None
            if name in LUA_BLOCK_DIRECTIVES:
                if rc != BLOCK_START:
                    raise self.error(f'directive "{name}" has no opening "{{"', self.line)
                if len(args) != LUA_BLOCK_ARGS[name]:
                    raise self.error(f'invalid number of arguments in "{name}" directive',
                                     self.line)
                body = self.lua_block()
            elif rc == BLOCK_START:
                body = self.parse(block=True)
            out.append((name, args, body))
