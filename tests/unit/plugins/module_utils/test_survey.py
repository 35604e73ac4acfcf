"""List variables as a survey's text answer or ``-e name=a,b`` gives them."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._survey import string_list


@pytest.mark.parametrize(("value", "items"), [
    ("json", ["json"]), ("html, json ,markdown", ["html", "json", "markdown"]), ("a,,b,", ["a", "b"]),
    ("", []), (" ", []), (None, []), ([], []), (["html", "json"], ["html", "json"]),
    (("10.0.0.0/8",), ["10.0.0.0/8"]), (8080, ["8080"]), ([1, "b"], ["1", "b"]),
])
def test_a_list_or_a_comma_separated_string(value, items):
    assert string_list(value, "audit_report_formats") == items


@pytest.mark.parametrize("value", [{"a": 1}, [{"a": 1}], [["a"]], True])
def test_anything_else_is_refused_naming_the_variable(value):
    with pytest.raises(ConsulInputError, match="^tls_dns_names must be a list of strings or a comma-separated string"):
        string_list(value, "tls_dns_names")
