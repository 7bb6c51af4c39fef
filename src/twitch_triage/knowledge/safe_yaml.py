"""Read the knowledge base's YAML defensively: no aliases, no deep nesting, no key written twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml

from .schema import KnowledgeBaseError

__all__ = ["read_yaml"]

_MAX_DEPTH = 20  # lists and mappings inside each other; the file needs 6
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML has it: 9x faster here
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Mapping(dict):
    """A YAML mapping that remembers each key written twice in it (a dict keeps the last one)."""

    twice: tuple[tuple[str, int, int], ...] = ()  # (key, its first line, the repeat's line)


def _written_twice(node: yaml.MappingNode) -> tuple[tuple[str, int, int], ...]:
    """The keys of ``node`` written twice (as written: same tag and text), with their lines."""
    first: dict[tuple[str, str], int] = {}
    twice = []
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
            if (key.tag, key.value) in first:
                twice.append((key.value, first[key.tag, key.value], key.start_mark.line + 1))
            else:
                first[key.tag, key.value] = key.start_mark.line + 1
    return tuple(twice)


class _Loader(_SAFE_LOADER):
    """PyYAML's safe loader; its mappings are :class:`_Mapping`."""

    def construct_yaml_map(self, node: yaml.MappingNode) -> Iterator[_Mapping]:
        data = _Mapping()
        yield data
        twice = _written_twice(node)  # (before construct_mapping merges any '<<' keys into node)
        data.update(self.construct_mapping(node))
        data.twice = twice


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _at(name: str, mark: Any, what: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{name}: line {mark.line + 1}: {what}")


def _check_nesting(text: str, name: str) -> None:
    """Refuse aliases and deep nesting, from the parser's flat stream of events, before anything is built.

    An alias (``*name``) stands for a value written elsewhere: a few lines of aliases of
    aliases (a "billion laughs") stand for more data than memory holds once anything walks
    them, and lists nested thousands deep exhaust the stack of whatever walks them.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise _at(name, event.start_mark,
                      f"alias *{event.anchor}: aliases are not allowed; write the value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                raise _at(name, event.start_mark, f"lists and mappings nested more than {_MAX_DEPTH} deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(path: Path, data: bytes) -> Any:
    """The file's content; a one-line error naming the line of anything YAML cannot read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KnowledgeBaseError(f"{path.name}: line {line}: not valid UTF-8 (byte {exc.start}); "
                                 "save the file as UTF-8") from None
    try:
        _check_nesting(text, path.name)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context
        if exc.problem and exc.context and exc.context_mark is not None and exc.context_mark.line != mark.line:
            what += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise KnowledgeBaseError(
            f"{path.name}: line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise KnowledgeBaseError(f"{path.name}: line {line}: not valid YAML: {exc.reason}") from None
