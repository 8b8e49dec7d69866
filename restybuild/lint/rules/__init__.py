"""The registry of lint rules: an explicit tuple, in code order.

The rules are imported on first use of ``RULES`` (a module ``__getattr__``): importing one
rule, as the incremental lint does for the rules that read Lua facts, imports no other.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

#: every rule module, in code order
NAMES = (
    "rb101_unresolved_require",
    "rb102_computed_require",
    "rb110_unpinned_base",
    "rb201_undeclared_dict",
    "rb202_unused_dict",
    "rb203_computed_dict",
    "rb301_workers_auto",
    "rb302_workers_above_cpu",
    "rb401_memory_budget",
    "rb501_native_missing",
    "rb502_native_incompatible",
    "rb601_conf_parse",
    "rb602_include_missing",
    "rb603_dict_twice",
    "rb604_lua_file_missing",
    "rb605_secret_in_context",
    "rb606_context_refused",
    "rb607_package_path_default",
    "rb608_write_read_only",
    "rb609_loopback_listen",
    "rb610_user_account",
    "rb611_unknown_directive",
    "rb612_conf_file_missing",
    "rb613_module_file_missing",
    "rb614_openresty_parameter",
    "rb701_metrics_wiring",
    "rb702_prometheus_init_phase",
    "rb703_metrics_port",
    "rb704_metrics_open",
    "rb801_getenv",
    "rb802_resolver",
    "rb901_k8s",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    rules = tuple(import_module(f"{__name__}.{n}") for n in NAMES)
    globals()["RULES"] = rules
    return rules
