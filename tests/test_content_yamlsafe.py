"""Strict YAML reading: every construct we refuse, with the catalogue code and the line."""

from __future__ import annotations

import time

import pytest
from helpers import assert_problem, problems_of_file, write_yaml

from cam_workbench.content.problems import ProblemCode
from cam_workbench.content.yamlsafe import MAX_BYTES, MAX_DEPTH, parse

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _nested_mappings(levels: int) -> str:
    return "".join(" " * depth + f"k{depth}:\n" for depth in range(levels))


# (snippet, catalogue code, line of the problem)
REFUSED = {
    # syntax
    "unclosed flow list": ("kind: guide\nitems: [a, b\nnext: 1\n", "yaml_syntax", 3),
    "colon in plain text": ("kind: guide\ntitle: Note: read this\n", "yaml_syntax", 2),
    "bad indentation": ("kind: guide\nmeta:\n  id: x\n bad: 1\n", "yaml_syntax", 4),
    "tab indentation": ("kind: guide\nmeta:\n\tid: x\n", "yaml_syntax", 3),
    "unclosed quote": ('kind: guide\ntitle: "open\n', "yaml_syntax", 3),
    "stray closing bracket": ("kind: guide\nitems: [a]]\n", "yaml_syntax", 2),
    # duplicate keys: the line of the second one
    "duplicate top-level key": ("kind: guide\nintro: a\nkind: shared\n", "duplicate_key", 3),
    "duplicate nested key": (
        "kind: guide\nmeta:\n  id: a\n  title: t\n  id: b\n",
        "duplicate_key",
        5,
    ),
    "duplicate key in flow mapping": ("kind: guide\nmeta: {id: a, id: b}\n", "duplicate_key", 2),
    "duplicate key in list entry": (
        "kind: guide\nsections:\n  - id: a\n    heading: h\n    heading: i\n",
        "duplicate_key",
        5,
    ),
    # anchors and aliases
    "anchor": ("kind: guide\nintro: &text hello\n", "alias", 2),
    "alias": ("kind: guide\nintro: hello\ntitle: *text\n", "alias", 3),
    "anchor on list item": ("kind: guide\nintro:\n  - a\n  - &b b\n", "alias", 4),
    "billion laughs": (BILLION_LAUGHS, "alias", 1),
    # tags, of any kind
    "python object tag": (
        "kind: guide\nintro: !!python/object/apply:os.system ['echo pwned']\n",
        "tag",
        2,
    ),
    "python name tag": ("kind: guide\nintro: !!python/name:os.system\n", "tag", 2),
    "standard str tag": ("kind: guide\nintro: !!str 3\n", "tag", 2),
    "local tag": ("kind: guide\nintro: !foo bar\n", "tag", 2),
    "non-specific tag": ("kind: guide\nintro: ! 12\n", "tag", 2),
    "verbatim tag": ("kind: guide\nintro: !<tag:yaml.org,2002:str> x\n", "tag", 2),
    "tag on the top mapping": ("--- !foo\nkind: guide\n", "tag", 1),
    "tag through a %TAG directive": ("%TAG ! tag:yaml.org,2002:\n---\nkind: !str 1\n", "tag", 3),
    # empty
    "empty file": ("", "empty_file", 1),
    "blank lines only": ("\n\n   \n", "empty_file", 1),
    "comments only": ("# yaml-language-server: $schema=x\n# nothing else\n", "empty_file", 1),
    "document marker only": ("---\n", "empty_file", 1),
    "null document": ("# a comment\nnull\n", "empty_file", 1),
    # not a mapping at the top
    "top-level list": ("- kind: guide\n- kind: shared\n", "top_level_type", 1),
    "top-level text": ("just some text\n", "top_level_type", 1),
    "top-level number": ("42\n", "top_level_type", 1),
    # too deep: refused, never a RecursionError
    "10,000 open brackets": ("kind: guide\nintro: " + "[" * 10_000, "too_deep", 2),
    "deep flow mappings": ("{a: " * 5_000, "too_deep", 1),
    "deep block mappings": (_nested_mappings(MAX_DEPTH + 5), "too_deep", MAX_DEPTH),
    # invisible characters
    "bell character": ("kind: guide\nintro: a\x07b\n", "yaml_syntax", 2),
    "NUL byte": ("kind: guide\nintro: a\nmeta: \x00\n", "yaml_syntax", 3),
    "escape character": ("kind: guide\n\nintro: \x1b[31mred\n", "yaml_syntax", 3),
    "DEL character": ("kind: guide\nintro: a\x7f\n", "yaml_syntax", 2),
    # more than one document
    "second document": ("kind: guide\n---\nkind: shared\n", "multiple_documents", 2),
    "explicit documents": ("---\nkind: guide\n...\n---\nkind: shared\n", "multiple_documents", 4),
    # keys that are not text (YAML 1.2: only true/false are booleans; yes is text)
    "number key": ("kind: guide\n1: one\n", "non_string_key", 2),
    "true key": ("kind: guide\ntrue: 1\n", "non_string_key", 2),
    "yes key": ("kind: guide\nyes: 1\n", "unknown_key", 2),
    "null key": ("kind: guide\n~: 1\n", "non_string_key", 2),
    "list as key": ("kind: guide\n? [a, b]\n: 1\n", "non_string_key", 2),
    "mapping as key": ("kind: guide\n? {a: b}\n: 1\n", "non_string_key", 2),
    # YAML's merge key is not followed: it is just an unknown key
    "merge key": ("kind: guide\n<<: {intro: [x]}\n", "unknown_key", 2),
}


@pytest.mark.parametrize(("snippet", "code", "line"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_with_code_and_line(tmp_path, snippet, code, line):
    path = write_yaml(tmp_path / "content.yaml", snippet)
    found = assert_problem(problems_of_file(path), ProblemCode[code], line)
    assert found.path == str(path)
    assert found.what and found.fix, "every problem says what is wrong and how to fix it"


# (bytes, catalogue code, line)
REFUSED_BYTES = {
    "latin-1 e-acute": (b"kind: guide\nintro: caf\xe9\n", "not_utf8", 2),
    "0xff on line 4": (b"kind: guide\nmeta:\n  id: a\n  title: \xff\n", "not_utf8", 4),
    "UTF-16 file": ("kind: guide\n".encode("utf-16"), "not_utf8", 1),
    "truncated UTF-8 sequence": (b"kind: guide\n\nintro: \xe2\x80\n", "not_utf8", 3),
    "one byte over the limit": (b"#" * (MAX_BYTES + 1), "file_too_large", 1),
    "ten times the limit": (b"kind: guide\n" + b"a" * (10 * MAX_BYTES), "file_too_large", 1),
}


@pytest.mark.parametrize(("raw", "code", "line"), REFUSED_BYTES.values(), ids=REFUSED_BYTES.keys())
def test_refused_bytes_with_code_and_line(tmp_path, raw, code, line):
    path = write_yaml(tmp_path / "content.yaml", raw)
    problems = problems_of_file(path)
    assert_problem(problems, ProblemCode[code], line)
    assert len(problems) == 1, "a file that cannot be read as text is not parsed further"


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path):
    raw = b"# " + b"x" * (MAX_BYTES - 3) + b"\n"
    assert len(raw) == MAX_BYTES
    path = write_yaml(tmp_path / "content.yaml", raw)
    assert [p.code for p in problems_of_file(path)] == [ProblemCode.empty_file]


def test_utf8_text_and_byte_order_mark_are_accepted():
    parsed, problems = parse("\ufeffkind: guide\nintro: café – ok ✓\n", "f.yaml")
    assert problems == []
    assert parsed is not None
    assert parsed.data == {"kind": "guide", "intro": "café – ok ✓"}


def test_nesting_up_to_the_limit_is_accepted():
    # the top mapping, its key and the lists inside it: exactly MAX_DEPTH levels
    snippet = "intro: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    parsed, problems = parse(snippet, "f.yaml")
    assert problems == [] and parsed is not None
    deeper = "intro: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert [p.code for p in parse(deeper, "f.yaml")[1]] == [ProblemCode.too_deep]


def test_billion_laughs_is_refused_before_any_expansion():
    start = time.perf_counter()
    parsed, problems = parse(BILLION_LAUGHS * 50, "bomb.yaml")
    assert parsed is None
    assert [p.code for p in problems] == [ProblemCode.alias]
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("snippet", "value"),
    [
        ("d: 2027-02-28\n", "2027-02-28"),  # dates stay text; the model parses them
        ("d: 1e3\n", 1000.0),  # YAML 1.2 core, as editors read it (YAML 1.1: text)
        ("d: 1.5\n", 1.5),
        ("d: 12\n", 12),
        ("d: true\n", True),
        ("d: null\n", None),
        ("d: '42'\n", "42"),
        ("d: =\n", "="),
    ],
)
def test_plain_values(snippet, value):
    parsed, problems = parse(snippet, "f.yaml")
    assert problems == [] and parsed is not None
    assert parsed.data == {"d": value}


def test_line_of_each_value_is_kept():
    snippet = "kind: guide\nmeta:\n  id: a\n\nsections:\n  - id: one\n    body:\n      - text\n"
    parsed, problems = parse(snippet, "f.yaml")
    assert problems == [] and parsed is not None
    assert parsed.line_of(("meta", "id")) == 3
    assert parsed.line_of(("sections", 0)) == 6
    assert parsed.line_of(("sections", 0, "body", 0)) == 8
    # a path that is not in the data falls back to its deepest existing part
    assert parsed.line_of(("sections", 0, "sources")) == 6
    assert parsed.line_of(("nothing", "here")) == 1


def test_several_duplicate_keys_are_all_reported():
    snippet = "a: 1\nb: 2\na: 3\nc:\n  x: 1\n  x: 2\nb: 4\n"
    parsed, problems = parse(snippet, "f.yaml")
    assert parsed is not None
    assert sorted((p.code, p.line) for p in problems) == [
        (ProblemCode.duplicate_key, 3),
        (ProblemCode.duplicate_key, 6),
        (ProblemCode.duplicate_key, 7),
    ]
    assert parsed.data == {"a": 1, "b": 2, "c": {"x": 1}}, "the first of two keys is kept"


@pytest.mark.parametrize(
    ("snippet", "line", "mentions"),
    [
        ('kind: guide\ntitle: "open\nintro: x\n', 4, "line 2"),  # where the quote opened
        ("kind: guide\nitems: [a, b\nnext: 1\n", 3, "line 2"),  # where the '[' opened
        ("kind: guide\nintro: a\u200bb\x07\n", 2, "U+0007"),  # which invisible character
    ],
)
def test_syntax_errors_point_at_the_cause(snippet, line, mentions):
    _, problems = parse(snippet, "f.yaml")
    found = assert_problem(problems, ProblemCode.yaml_syntax, line)
    assert mentions in found.what
