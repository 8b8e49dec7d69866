"""The Restyfile's statements, one table: keyword, usage, options, block items, meaning.

The parser's messages (usage lines, did-you-mean, where an item belongs), the
resolver (which options a statement takes, which may appear once) and the
README's statement table come from here; tests check the grammar and the
README against it, so a form cannot be accepted by one and refused by another.
"""

from __future__ import annotations

from restybuild.records import dataclass


@dataclass(frozen=True)
class StatementInfo:
    keyword: str
    usage: str  # how it is written, shown when it is malformed
    doc: str  # one line: what it means (the README's statement table)
    options: tuple[str, ...] = ()  # `key value` options after the arguments
    items: tuple[str, ...] = ()  # what its `{ ... }` block holds
    once: bool = False  # at most one per Restyfile (per block, for items)
    parent: str | None = None  # for a block item: the statement whose block holds it


PROBE_OPTIONS = ("port", "period", "timeout", "initial_delay", "failure_threshold")
METRICS_OPTIONS = ("port", "path")

STATEMENTS: dict[str, StatementInfo] = {s.keyword: s for s in (
    StatementInfo("restyfile", "restyfile VERSION",
                  "language version; optional, default 1; another version is an error",
                  once=True),
    StatementInfo("name", "name NAME",
                  "the app's name (lowercase, digits, `.`, `_`, `-`): default image `NAME:latest`",
                  once=True),
    StatementInfo("base", "base RECIPE [VERSION] [FLAVOR]  or  base image REF recipe RECIPE "
                          "[digest DIGEST]",
                  "a base image described by `recipes/bases/RECIPE.toml`, or an explicit image "
                  "laid out like RECIPE's default flavor (`RECIPE-FLAVOR` names another "
                  "flavor)", once=True),
    StatementInfo("prefix", "prefix PATH",
                  "the nginx prefix in the image (`nginx -p`); default: the recipe's", once=True),
    StatementInfo("conf", "conf SRC [-> DST]",
                  "the nginx conf folder (must hold `nginx.conf`); default destination `conf`",
                  once=True),
    StatementInfo("lua", "lua SRC -> DST",
                  "a folder of Lua sources; added to `lua_package_path` (`?.lua`, `?/init.lua`)"),
    StatementInfo("files", "files SRC -> DST",
                  "a folder that is not Lua (a dashboard's html/js/css, rule files) shipped "
                  "as is; not put on `lua_package_path`"),
    StatementInfo("data", "data PATH [SIZE]",
                  "a folder the app writes at run time (attack logs, saved settings): empty "
                  "and writable in the image, a tmpfs in the boot check, an `emptyDir` "
                  "(`sizeLimit` SIZE, 1Gi without one) in `restybuild k8s`; PATH is relative "
                  "to the prefix unless absolute"),
    StatementInfo("native", "native SRC -> DST [{ search DIR ... }]",
                  "a prebuilt `.so`; DST is added to `lua_package_cpath`; its ELF closure is "
                  "resolved against the base image as the loader does: what the base provides "
                  "is used, what it lacks is bundled from the search folders (and followed), "
                  "what nobody has is an error before any build", items=("search",)),
    StatementInfo("search", "search DIR ...",
                  "folders of the project where a native's missing libraries are looked for, "
                  "in order",
                  parent="native"),
    StatementInfo("module", "module NAME ...",
                  "an nginx dynamic module the base's distribution packages (`echo`, "
                  "`headers-more`, `stream`: the recipe's [modules] table): its `.so` is copied "
                  "into the image and its `load_module` line added to the effective conf; a "
                  "module the base's nginx has compiled in adds nothing"),
    StatementInfo("rocks", "rocks -> TREE { server ... / rock ... / system ... }",
                  "rocks installed with `luarocks --tree` in a build stage at their final path; "
                  "only the tree reaches the final image; the tree is added to the Lua paths",
                  items=("server", "rock", "system"), once=True),
    StatementInfo("server", "server DIR-or-URL",
                  "where rocks come from: a folder is an offline server (`--only-server`), a "
                  "URL is tried first (`--server`)", once=True, parent="rocks"),
    StatementInfo("rock", "rock NAME VERSION  or  rock PATH.rockspec  or  rock PATH.rock",
                  "one pinned rock", parent="rocks"),
    StatementInfo("system", "system BUILDPKG [-> RUNPKG]",
                  "an OS package for building rocks, and the runtime package the image keeps "
                  "(no package step when the base facts say the base has it)",
                  parent="rocks"),
    StatementInfo("shared_dict", "shared_dict NAME SIZE",
                  "a `lua_shared_dict` (at least 8k) added to the effective conf"),
    StatementInfo("workers", "workers N  or  workers cpu",
                  "`worker_processes`; `workers cpu` is the CPU limit rounded up; `workers auto` "
                  "is refused (it counts the node's CPUs)", once=True),
    StatementInfo("resources", "resources { request cpu C memory M / limit cpu C memory M }",
                  "container resources (the budget lint checks memory against): `cpu` "
                  "(`500m`, `2`, `1.5`) and `memory` (`512Mi`, `1Gi`, `256m`)",
                  items=("request", "limit"), once=True),
    StatementInfo("request", "request cpu C memory M", "what the container is guaranteed",
                  once=True, parent="resources"),
    StatementInfo("limit", "limit cpu C memory M", "what the container may use at most",
                  once=True, parent="resources"),
    StatementInfo("probe", "probe liveness|readiness|startup http PATH port N [period T] "
                           "[timeout T] [initial_delay T] [failure_threshold N]",
                  "a health probe: a Kubernetes probe, and a request the verification sends to "
                  "the booted image (200-399 passes); a `location = PATH` answering 200 is "
                  "added where the conf lacks one; `initial_delay` and `failure_threshold` go "
                  "to Kubernetes", options=PROBE_OPTIONS),
    StatementInfo("metrics", "metrics prometheus port N [path P]",
                  "Prometheus metrics with nginx-lua-prometheus (declare its rock): the "
                  "`prometheus_metrics` dict, `prometheus = require(\"prometheus\").init(...)` "
                  "at the start of `init_worker_by_lua_block`, a scrape server on the port "
                  "serving `prometheus:collect()` at the path (default `/metrics`), and the port "
                  "exposed",
                  options=METRICS_OPTIONS, once=True),
    StatementInfo("scale", "scale MIN..MAX cpu PERCENT",
                  "a HorizontalPodAutoscaler in `restybuild k8s`: from MIN to MAX replicas, "
                  "keeping the average CPU use at PERCENT of the CPU request (which it needs), "
                  "and a PodDisruptionBudget when MAX is above 1", once=True),
    StatementInfo("env", "env NAME=VALUE  or  env NAME=\"a value\"",
                  "image environment, plus `env NAME;` in nginx's main context so "
                  "`os.getenv` sees it"),
    StatementInfo("expose", "expose PORT ...", "ports the image exposes"),
)}

TOP_LEVEL: tuple[str, ...] = tuple(k for k, s in STATEMENTS.items() if s.parent is None)
BLOCK_ITEMS: dict[str, tuple[str, ...]] = {k: s.items for k, s in STATEMENTS.items() if s.items}
USAGE: dict[str, str] = {k: s.usage for k, s in STATEMENTS.items()}


def markdown_table() -> str:
    """The README's statement table, from :data:`STATEMENTS`."""
    rows = ["| statement | meaning |", "| --- | --- |"]
    for info in STATEMENTS.values():
        forms = " / ".join(f"`{f.strip()}`" for f in info.usage.split("  or  "))
        rows.append(f"| {forms.replace('|', chr(92) + '|')} | {info.doc} |")
    return "\n".join(rows) + "\n"
