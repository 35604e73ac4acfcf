# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every module: shared connection options, one client, one error boundary.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._client import CONSUL_IMPORT_ERROR, ConsulClient
from ._connection import CONNECTION_ARGSPEC, connection_options
from ._errors import ConsulApiError, ConsulConnectionError, ConsulError, ConsulInputError


def require_library(module: AnsibleModule, import_error: Exception | None, library: str) -> None:
    """Fail the module when a library it needs did not import."""
    if import_error:
        module.fail_json(msg=missing_required_lib(library), exception=str(import_error))


def run_local(module: AnsibleModule, body: Callable[[AnsibleModule], dict[str, Any]],
              errors: tuple[type[Exception], ...] = (ConsulInputError, OSError)) -> None:
    """The error boundary of modules that work on local files only (keys, certificates):
    ``errors`` become one fail_json with the error's message."""
    try:
        result = body(module)
    except errors as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


class ConsulModule(AnsibleModule):
    """AnsibleModule with the connection options merged into its argument spec."""

    def __init__(self, argument_spec: dict[str, Any], **kwargs: Any) -> None:
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        if CONSUL_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("python-consul2 (and requests)"),
                           exception=CONSUL_IMPORT_ERROR)

    def client(self) -> ConsulClient:
        return ConsulClient(connection_options(self.params))

    def run(self, body: Callable[[ConsulModule], dict[str, Any]]) -> None:
        """Run the module body; turn the collection's errors into one fail_json."""
        try:
            result = body(self)
        except ConsulError as exc:
            details: dict[str, Any] = {}
            if isinstance(exc, (ConsulApiError, ConsulConnectionError)):
                details = {"address": exc.address, "endpoint": exc.endpoint}
            if isinstance(exc, ConsulApiError):
                details.update(status=exc.status, body=exc.body)
            self.fail_json(msg=str(exc), **details)
        self.exit_json(**result)
