"""Step 1: the running nginx, from `nginx -V`: its version, compiler, OpenSSL and configure
arguments; the closest base recipe and flavor; end of life; the modules the base lacks.

`nginx -V` comes from a file the user names, or from a binary the user names
(``--nginx-bin``): a program found under ROOT is never run on its own.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from restybuild import recipes
from restybuild.basefacts import parse_nginx_v
from restybuild.discover.model import Finding, NginxFacts
from restybuild.discover.modules import BaseModules, base_modules, module_name, owner
from restybuild.discover.tables import compiler_flavor, openresty_line, table, version_key
from restybuild.errors import ConfigError, InputError
from restybuild.records import replace

_COMPILER = re.compile(r"^built by (.+)$", re.M)
_OPENSSL = re.compile(r"^built with (OpenSSL .+?)(?: \(running with .*\))?$", re.M)
FAMILIES = {"centos": "CentOS-family", "debian": "Debian-family", "alpine": "Alpine"}


def nginx_v_text(file: str | None, binary: str | None) -> str | None:
    """`nginx -V`'s output: read from `file`, or printed by the `binary` the user named."""
    if file:
        try:
            return Path(file).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise InputError(f"--nginx-v {file} cannot be read: {e.strerror or e}",
                             hint="save the old host's `nginx -V 2>&1` to a file and name it"
                             ) from None
    if binary:
        try:
            done = subprocess.run([binary, "-V"], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            raise ConfigError(f"cannot run {binary} -V: {e}") from None
        return (done.stderr + done.stdout).decode("utf-8", "replace")
    return None


def host_modules(configure: tuple[str, ...], compiled: tuple[str, ...]) -> tuple[str, ...]:
    """The modules of a configure line: `http_ssl_module`, and added folders' names with
    their version left off (`--add-module=../echo-nginx-module-0.61` is
    `echo-nginx-module`)."""
    out = [m for m in compiled if m.endswith("_module") and "/" not in m]
    out += [m for m in map(module_name, configure) if m is not None]
    return tuple(dict.fromkeys(out))


def read_nginx(text: str | None, root: Path, base: str | None) -> tuple[NginxFacts, list[Finding]]:
    """What `nginx -V` says and the base chosen for it (`base` overrides the choice)."""
    findings: list[Finding] = []
    version, configure, compiled = parse_nginx_v(text or "")
    compiler_m = _COMPILER.search(text or "")
    openssl_m = _OPENSSL.search(text or "")
    compiler = compiler_m.group(1).strip() if compiler_m else ""
    fam = compiler_flavor(compiler)
    if fam is None and (root / "etc/redhat-release").is_file():
        fam = ("centos", "centos7")
    if text is None:
        findings.append(Finding("nginx", "warning", "no `nginx -V` output given: the base is "
                                "chosen from the files alone", hint="run `nginx -V 2> "
                                "nginx-V.txt` on the old host and pass --nginx-v nginx-V.txt"))
    elif not version:
        findings.append(Finding("nginx", "warning", "the `nginx -V` text has no `nginx "
                                "version:` line", hint="pass the whole output of `nginx -V`"))
    if base:
        recipe, flavor, bversion, why = _named_base(base)
    else:
        recipe, flavor, bversion, why = _chosen_base(version, fam, root)
    mods = host_modules(configure, compiled)
    lacking, said = _lacking(mods, base_modules(recipes.load(recipe).flavor(flavor, bversion)))
    comments = [why, *_eol(version, flavor), *said]
    words = [w for w in ("base", recipe, bversion, flavor) if w]
    facts = NginxFacts(version, compiler, openssl_m.group(1).strip() if openssl_m else "",
                       configure, fam[0] if fam else "", recipe, flavor, bversion,
                       " ".join(words), tuple(c for c in comments if c), lacking, mods)
    return facts, findings


def with_module_lines(nginx: NginxFacts, base: BaseModules,
                      used: tuple[tuple[str, str], ...]) -> NginxFacts:
    """`nginx` with the `module` lines the conf needs: a recipe module (the base facts'
    `offered` files) for each directive the conf uses that only it defines; the old
    nginx's modules it brings leave `lacking`."""
    if base.facts is None:
        return nginx
    offers = {m.file: m for m in base.offers}
    need: dict[str, list[str]] = {}
    for name, _where in used:
        if base.facts.known(name, base.loaded) is not False:
            continue
        provider = next((f for f in base.facts.providers(name) if f in offers), None)
        if provider is not None:
            need.setdefault(offers[provider].name, [])
    for m in nginx.lacking:
        offer = base.offered(m)
        if offer is not None and offer.name in need:
            need[offer.name].append(m)
    brought = {m for old in need.values() for m in old}
    return replace(nginx, declare=tuple((n, tuple(old)) for n, old in need.items()),
                   lacking=tuple(m for m in nginx.lacking if m not in brought))


def _lacking(mods: tuple[str, ...], have: BaseModules) -> tuple[tuple[str, ...], list[str]]:
    """The modules of `mods` the base lacks, and comments: where that is known from, and the
    modules the base has as a file it does not load."""
    said = [have.source]
    for m in mods:
        path = have.unloaded(m)
        if path is not None:
            said.append(f"the base has {m} as {path} but does not load it: the conf needs "
                        f"`load_module {path};`")
    return tuple(m for m in mods if not have.has(m)), said


def module_findings(nginx: NginxFacts, base: BaseModules,
                    used: tuple[tuple[str, str], ...]) -> list[Finding]:
    """What the modules the base lacks break: each directive the conf uses that the base's
    nginx does not define (an error: `nginx -t` says "unknown directive"), found from the
    base facts, or without them from the directives the table gives each lacking module;
    the lacking modules no directive of the conf needs are one note."""
    out: list[Finding] = []
    flagged: set[str] = set()
    declared = {name for name, _old in nginx.declare}
    loaded = (*base.loaded, *(m.file for m in base.offers if m.name in declared))
    for name, where in used:
        if base.facts is not None:
            if base.facts.known(name, loaded) is not False:
                continue
            module = owner(name, nginx.modules)
        else:
            module = owner(name, nginx.lacking)
            if module is None:
                continue
        flagged.add(module or "")
        out.append(_unknown(nginx, base, name, where, module))
    quiet = [m for m in nginx.lacking if m not in flagged]
    if quiet:
        out.append(Finding("nginx", "info", "the old nginx had modules the base "
                           f"{nginx.recipe} lacks, which the conf does not use: "
                           + ", ".join(quiet)))
    return out


def _unknown(nginx: NginxFacts, base: BaseModules, name: str, where: str,
             module: str | None) -> Finding:
    what = (f"it is {module}'s, which the old nginx had and the base {nginx.recipe} lacks"
            if module else f"the base {nginx.recipe}'s nginx does not define it")
    providers = base.facts.providers(name) if base.facts is not None else ()
    if providers:
        hint = f"the base has it in {providers[0]}: add `load_module {providers[0]};` to the conf"
    else:
        hint = ("rewrite it without the module (often in Lua), or use a base image that has "
                f"it: base image REF recipe {nginx.recipe}")
    return Finding("nginx", "error", f"unknown directive `{name}`: {what} (nginx -t fails)",
                   where, hint)


def _named_base(base: str) -> tuple[str, str | None, str | None, str]:
    """`--base RECIPE`, `RECIPE VERSION FLAVOR` or `RECIPE:VERSION-FLAVOR`."""
    name, _, rest = base.replace(" ", ":", 1).partition(":")
    recipe = recipes.load(name)
    words = rest.replace(" ", "-").split("-") if rest else []
    flavor = None
    for n in range(len(words)):
        cand = "-".join(words[n:])
        if cand in recipe.flavors:
            flavor, words = cand, words[:n]
            break
    version = "-".join(words) or None
    recipe.flavor(flavor, version)  # raises when the recipe has no such flavor or version
    return name, flavor, version, f"base chosen with --base {base}"


def _chosen_base(version: str, fam: tuple[str, str] | None,
                 root: Path) -> tuple[str, str | None, str | None, str]:
    name, _, number = version.partition("/")
    openresty = recipes.load("openresty")
    if name == "openresty" or (not version and (root / "usr/local/openresty").is_dir()):
        flavor = fam[1] if fam else openresty.default_flavor
        ok = bool(number) and bool(re.fullmatch(openresty.version_pattern, number))
        seen = f"the old host runs {version}" if version else \
            "the old host has /usr/local/openresty"
        how = f", built on a {FAMILIES.get(fam[0], fam[0])} host" if fam else ""
        if ok:
            return ("openresty", flavor, number,
                    f"{seen}{how}: the official image of that release and family")
        # a Restyfile names the version before a flavor; the newest image of the flavor
        guess = table()["openresty"].get("flavor_last", {}).get(flavor) \
            or openresty.default_version
        return ("openresty", flavor, guess, f"{seen}{how}, its release not known: guess: "
                f"the newest official image of that family ({guess})")
    if name == "nginx":
        return ("debian-bookworm", None, None, f"the old host runs {version} (not OpenResty): "
                "the closest base is Debian's nginx with lua-nginx-module")
    return ("debian-bookworm", None, None, "nginx's version is not known: the offline base")


def _eol(version: str, flavor: str | None) -> list[str]:
    """Comments saying whether `version` is end of life and which release to test next."""
    name, _, number = version.partition("/")
    data = table()
    if name == "openresty" and number:
        current = recipes.load("openresty").default_version
        line = openresty_line(number)
        if version_key(number)[:3] >= version_key(current)[:3]:
            return []
        last = data["openresty"].get("flavor_last", {}).get(flavor or "")
        nxt = last if last and version_key(last) > version_key(number) else current
        where = f" (the last {flavor} image)" if nxt == last else ""
        since = f", a line of {line['released']} on nginx {line['nginx']}" if line else ""
        then = f", then the current {current} on rocky or bookworm" if nxt != current else ""
        return [f"openresty {number}{since}, is end of life: test {nxt}{where} next{then}"]
    if name == "nginx" and number and \
            version_key(number)[:2] < version_key(data["nginx"]["supported_from"]):
        return [f"nginx {number} is end of life: test the debian-bookworm base's nginx next"]
    return []
