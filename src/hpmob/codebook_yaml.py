"""Safe YAML input for codebooks: duplicate keys and alias bombs are errors, not surprises.

PyYAML's ``safe_load`` keeps the last of two equal keys and follows aliases without a
limit. :func:`load_yaml` refuses both, and :func:`yaml_problem` words a syntax error with
its line and column. :func:`hpmob.codebook.load_codebook` reads every codebook through
them; the names are public so that it imports no private name, but internal to the
package: ``__all__`` lists only the two limits.

Examples
--------
>>> from hpmob.codebook_yaml import load_yaml
>>> load_yaml("a: 1\\nb: [2, 3]\\n")
{'a': 1, 'b': [2, 3]}
>>> load_yaml("a: 1\\na: 2\\n")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
yaml.constructor.ConstructorError: ...duplicate key 'a' (first defined at line 1)...
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_CODEBOOK_BYTES", "MAX_YAML_NODES"]


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys.

    PyYAML silently keeps the last of two equal keys, so a second construct under the
    same code or a repeated value code would quietly replace the first. In a codebook that is a
    silent change of the instrument, hence an error with both line numbers.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merge keys legitimately repeat/override keys
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable key: let SafeLoader raise its own error
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined at line {first + 1}); "
                    "each key may appear only once in a mapping: rename or merge the entries",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


#: Largest codebook read (the shipped one is about 40 kB).
MAX_CODEBOOK_BYTES = 5 * 2**20
#: Largest number of YAML nodes a codebook may expand to once its aliases (``*name``)
#: are followed. Aliases are shared, not copied, when loaded, but every later walk over
#: the codebook follows them: nine aliases of nine aliases ("billion laughs") are 9⁹
#: nodes to walk from a few hundred bytes. The shipped codebook has about 3,000 nodes.
MAX_YAML_NODES = 200_000


def expanded_size(node, memo: dict) -> int:
    """Return the number of nodes ``node`` stands for with every alias followed (shared subtrees counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once; SafeLoader refuses to construct it anyway
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(expanded_size(k, memo) + expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_YAML_NODES + 1)  # capped so the sum stays a small integer
    return memo[key]


class YamlTooLarge(ValueError):
    """A YAML document that would expand beyond :data:`MAX_YAML_NODES`."""


def load_yaml(text: str):
    """Parse codebook YAML and return it, refusing documents whose aliases expand beyond :data:`MAX_YAML_NODES`."""
    loader = UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise YamlTooLarge(
                f"the aliases (*name) expand to more than {MAX_YAML_NODES:,} entries (an 'alias bomb'?); "
                "a codebook needs only a few thousand, so write the entries out instead of aliasing them")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Return a YAML error as one sentence with its line and column and what to check."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return (
        f"YAML syntax error at {where}: {detail}. Check the indentation and quoting "
        "around that line (text containing ':' or '#' must be quoted)"
    )
