"""Command-line parameters built from the option groups' fields: each option declared once.

A typer command takes its parameters from its function's signature; here that signature is
made from the groups of `flows/options/parameters.py`, so a field's help text, default and flag are
written once, and `run` and `serve` share them. Values are validated by the groups' models
when the command builds its `RunRequest`, not by typer.
"""

import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any, Union, get_args, get_origin

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

# `--since` takes a day, or a day and a time.
_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
# The positional argument of a run: its name on the command line.
_ARGUMENT = "inputs"


# What the help calls a value, by its type, where the field does not name it.
_METAVARS: dict[Any, str] = {int: "N", float: "NUMBER", str: "TEXT", datetime: "DATE"}


def flag_of(name: str, info: FieldInfo) -> str:
    """The field's flag: `--max-dpi` for `max_dpi`, unless the field names another."""
    return str(_extra(info).get("flag") or "--" + name.replace("_", "-"))


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _metavar(info: FieldInfo, annotation: Any) -> str | None:
    """`--out DIR`, `--limit N`; a list's items are named as one item (the flag repeats)."""
    if annotation is bool:
        return None
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return str(_extra(info).get("metavar") or _METAVARS.get(annotation, "VALUE"))


class HelpCommand(TyperCommand):
    """Help as uv and ruff show it: `INPUT...` in the usage line, not `{INPUT}...`, and a value
    named for what it is (`DIR`, `N`), never a Python type such as `<list[str]>`."""

    # Typer's own click types are private; `Any` keeps these overrides compatible with them.
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [piece.replace("{", "").replace("}", "") for piece in pieces]

    def get_params(self, ctx: Any) -> list[Any]:
        return _named_values(super().get_params(ctx))


class HelpGroup(TyperGroup):
    """The top-level and `server` help as the commands': `--help`, not `--help <bool>`.

    Typer's rich help shows each option's type where it has no metavar, and click's own
    `--help` option has none: a group's help would read `--help <bool>`.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        return _named_values(super().get_params(ctx))


def _named_values(params: list[Any]) -> list[Any]:
    """Each parameter's value named as uv names it, and defaults that are words shown bare."""
    for param in params:
        if isinstance(param, TyperArgument):
            # Its name column already reads `INPUT...`; typer would add the Python type.
            param.__class__ = _UntypedArgument
            param.metavar = param.metavar or (param.name or "").upper()
            continue
        if param.metavar is None:
            # `--help`, `--quiet`: no value to name; `--html HTML` rather than `<path>`.
            flag = getattr(param, "is_flag", False)
            param.metavar = "" if flag else (param.name or "VALUE").upper()
        if isinstance(param, TyperOption) and isinstance(param.show_default, str):
            param.__class__ = _WordedDefaultOption
    return params


class _UntypedArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _WordedDefaultOption(TyperOption):
    """`[default: the provider's: 8 for scaleway]`, without the parentheses typer adds to a
    default given as text."""

    def _get_default_string(self, *, show_default_is_str: bool, **kwargs: Any) -> str:
        if show_default_is_str:
            return str(self.show_default)
        return str(super()._get_default_string(show_default_is_str=False, **kwargs))


def group_parameters(groups: Iterable[type[BaseModel]]) -> list[inspect.Parameter]:
    """One typer parameter per field of each group, in a help panel named after the group."""
    return [
        _parameter(name, info, (group.__doc__ or "").strip())
        for group in groups
        for name, info in _own_fields(group)
    ]


def command(
    parameters: list[inspect.Parameter], body: Callable[[dict[str, Any]], None], doc: str
) -> Callable[..., None]:
    """A function typer can make a command of: it hands the given values to `body`."""

    def run_command(**values: Any) -> None:
        body(values)

    run_command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run_command.__doc__ = doc
    return run_command


def given(values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The values of these fields that were given (unset ones keep the model's default)."""
    wanted = set(names)
    return {k: v for k, v in values.items() if k in wanted and v is not None}


def _own_fields(group: type[BaseModel]) -> Iterator[tuple[str, FieldInfo]]:
    inherited = {name for base in group.__bases__ for name in getattr(base, "model_fields", {})}
    return ((n, i) for n, i in group.model_fields.items() if n not in inherited)


def _parameter(name: str, info: FieldInfo, panel: str) -> inspect.Parameter:
    annotation = _plain(info.annotation)
    help_text = info.description or ""
    if name == _ARGUMENT:
        argument = typer.Argument(help=help_text, metavar="INPUT", show_default=False)
        return _keyword(name, Annotated[annotation, argument], inspect.Parameter.empty)
    required = info.is_required()
    extra: dict[str, Any] = {"formats": _DATE_FORMATS} if annotation is datetime else {}
    option = typer.Option(
        flag_of(name, info),
        help=help_text,
        metavar=_metavar(info, annotation),
        rich_help_panel=panel,
        show_default=_shown_default(info),
        **extra,
    )
    default = ... if required else (None if info.default == [] else info.default)
    hint = annotation if required else annotation | None
    return _keyword(name, Annotated[hint, option], default)


def _shown_default(info: FieldInfo) -> bool | str:
    """The default the help shows: the value, or what None stands for (`the provider's`)."""
    if info.is_required():
        return False
    worded = _extra(info).get("default_text")
    if worded is not None:
        return str(worded)
    return info.default not in (None, [])


def _plain(annotation: Any) -> Any:
    """The type without `None` (every option may be left out)."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )
