"""RB612 a file the conf loads at start that the image will not have.

What: `ssl_certificate`, `ssl_certificate_key`, `ssl_trusted_certificate`,
`ssl_client_certificate`, `ssl_dhparam`, `ssl_password_file`, `lua_ssl_trusted_certificate`
(and their `proxy_` / `grpc_` / stream forms) naming a file no declared folder puts into
the image, or one in the base's conf folder that the base lacks (relative paths are under
the conf folder, as nginx reads them), or a key the context never copies (RB605), or a
distribution's CA bundle path the base lacks (`/etc/pki/tls/certs/ca-bundle.crt`, CentOS's,
on a Debian base: the base facts record which of the well-known bundles it has; the hint
names the base's). An upstream's CA file (`proxy_ssl_trusted_certificate`, `grpc_ssl_crl`...)
is read only to verify a TLS upstream: a warning unless the conf has both
`proxy_ssl_verify on` and a `proxy_pass https://...` (or one with a variable), and the
same for `grpc_` (`grpcs://`) and `uwsgi_` (`suwsgi://`). A path
with a variable, or elsewhere outside every declared folder and the base's conf folder,
is left to verification.
Why: nginx reads them while loading the conf: `nginx -t` fails with `cannot load
certificate` or `BIO_new_file() failed`.
Example: `ssl_certificate certs/app.crt;` with no `conf/certs/app.crt`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from restybuild.conf.tree import conf_dst
from restybuild.context import kept_out
from restybuild.lint import Finding
from restybuild.lint.context import ConfDirective, LintContext
from restybuild.records import replace

CODE = "RB612"
NAME = "conf-file-missing"
SEVERITY = "error"

LOADED = re.compile(r"(?:proxy_|grpc_|uwsgi_|lua_)?ssl_(?:certificate|certificate_key|"
                    r"trusted_certificate|client_certificate|dhparam|password_file|crl)")


def check(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.facts
    base = frozenset(facts.files) if facts is not None and facts.files else None
    base_dir = facts.conf_dir.rstrip("/") + "/" if facts is not None and base else None
    conf_prefix = conf_dst(ctx.project)
    for d in ctx.directives:
        if not LOADED.fullmatch(d.name) or not d.args or "$" in d.args[0] \
                or d.args[0].startswith(("data:", "engine:")):
            continue
        image = posixpath.normpath(posixpath.join(conf_prefix, d.args[0]))
        src = ctx.image_to_project(image)
        verify = _verify_off(ctx, d.name)
        unread = f": nginx reads it only with `{verify}`, which the conf does not have" \
            if verify is not None else ""
        if src is not None:
            found = _shipped(ctx, d, src, image, base)
            if found is not None and unread:
                found = replace(found, message=found.message + unread, severity="warning")
            if found is not None:
                yield found
        elif base_dir is not None and base is not None and image.startswith(base_dir) \
                and image not in base:
            yield Finding(f"`{d.name} {d.args[0]}`: neither a declared folder nor the base "
                          f"image has {image}", d.span,
                          hint="put the file in a declared folder and name its path there")
        elif facts is not None and image in facts.probed and image not in facts.files:
            theirs = [f for f in facts.probed if f in facts.files]
            yield Finding(f"`{d.name} {d.args[0]}`: the base image has no {image} (a path of "
                          f"another distribution's CA certificates){unread}",
                          d.span, severity="warning" if unread else None,
                          hint=f"name the base's bundle: `{d.name} {theirs[0]};`" if theirs
                          else "install the CA certificates in the base image (`system "
                               "ca-certificates`), or ship a bundle in a declared folder")


#: The CA files of an upstream's certificate: nginx loads them only to verify it.
UPSTREAM_CA = re.compile(r"(proxy_|grpc_|uwsgi_)ssl_(?:trusted_certificate|crl)")


#: The scheme of a TLS upstream, by module: nginx sets up its TLS only for those.
TLS_PASS = {"proxy_": "https://", "grpc_": "grpcs://", "uwsgi_": "suwsgi://"}


def _verify_off(ctx: LintContext, name: str) -> str | None:
    """For an upstream CA file, what nginx waits for before it reads it: `PREFIX_ssl_verify
    on` and a TLS upstream (`proxy_pass https://...`, or a URL with a variable, which may be
    one); None when nginx reads it (any other file, or both are there)."""
    m = UPSTREAM_CA.fullmatch(name)
    if m is None:
        return None
    verify = f"{m[1]}ssl_verify"
    tls = any(d.args and (d.args[0].startswith(TLS_PASS[m[1]]) or "$" in d.args[0])
              for d in ctx.find(f"{m[1]}pass"))
    on = any(d.args[:1] == ["on"] for d in ctx.find(verify))
    return None if tls and on else f"{verify} on` and a `{m[1]}pass {TLS_PASS[m[1]]}..."


def _shipped(ctx: LintContext, d: ConfDirective, src: str, image: str,
             base: frozenset[str] | None) -> Finding | None:
    """The finding for a file a declared folder would put at `image` (from `src`)."""
    path = str(ctx.root / src)
    if ctx.source.is_file(path):
        why = kept_out(path, False, ctx.source)
        if why is None:
            return None
        return Finding(f"`{d.name} {d.args[0]}`: {src} is {why}, which never enters the "
                       f"image, so the image will have no {image}", d.span,
                       hint="keys never ship in an image: terminate TLS in front of the pod "
                            "(an Ingress) and listen in plain HTTP here")
    if base is not None and image in base:
        return None  # the conf folder is copied over the base's, whose file stays
    return Finding(f"`{d.name} {d.args[0]}`: the image will have no {image} ({src} does not "
                   "exist)", d.span,
                   hint="add the file to the project (mounted secrets: give the path the "
                        "Secret is mounted at, in a declared `data` folder)")
