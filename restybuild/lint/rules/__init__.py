"""The registry of lint rules: an explicit tuple, in code order."""

from __future__ import annotations

from types import ModuleType

from restybuild.lint.rules import (
    rb101_unresolved_require,
    rb102_computed_require,
    rb110_unpinned_base,
    rb201_undeclared_dict,
    rb202_unused_dict,
    rb203_computed_dict,
    rb301_workers_auto,
    rb302_workers_above_cpu,
    rb401_memory_budget,
    rb501_native_missing,
    rb502_native_incompatible,
    rb601_conf_parse,
    rb602_include_missing,
    rb603_dict_twice,
    rb604_lua_file_missing,
    rb605_secret_in_context,
    rb606_context_refused,
    rb701_metrics_wiring,
    rb702_prometheus_init_phase,
    rb703_metrics_port,
    rb704_metrics_open,
    rb801_getenv,
    rb802_resolver,
    rb901_k8s,
)

RULES: tuple[ModuleType, ...] = (
    rb101_unresolved_require,
    rb102_computed_require,
    rb110_unpinned_base,
    rb201_undeclared_dict,
    rb202_unused_dict,
    rb203_computed_dict,
    rb301_workers_auto,
    rb302_workers_above_cpu,
    rb401_memory_budget,
    rb501_native_missing,
    rb502_native_incompatible,
    rb601_conf_parse,
    rb602_include_missing,
    rb603_dict_twice,
    rb604_lua_file_missing,
    rb605_secret_in_context,
    rb606_context_refused,
    rb701_metrics_wiring,
    rb702_prometheus_init_phase,
    rb703_metrics_port,
    rb704_metrics_open,
    rb801_getenv,
    rb802_resolver,
    rb901_k8s,
)
