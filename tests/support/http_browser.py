"""Just enough of a browser for a server in another process: cookies by hand, and the
CSRF token of a page's form (the tests of the running application and of the job
workers share it)."""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie


class Browser:
    """Just enough of a browser: cookies, and the CSRF token of the last page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        #: Sent with every request (a reverse proxy's, say).
        self.headers: dict[str, str] = {}
        #: Where the pages appear to come from: a browser sends the page as the Referer
        #: of a same-origin request (``Referrer-Policy: same-origin``).
        self.origin = f"http://127.0.0.1:{port}"

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str, list[str]]:
        from urllib.parse import urlencode

        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Referer": f"{self.origin}{path}",
            **self.headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            set_cookies = response.headers.get_all("Set-Cookie") or []
            for raw in set_cookies:
                cookie = SimpleCookie()
                cookie.load(raw)
                for name, morsel in cookie.items():
                    if morsel["expires"] and "1970" in morsel["expires"]:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, dict(response.headers.items()), text, set_cookies
        finally:
            connection.close()

    def token(self, path: str) -> str:
        _, _, html, _ = self.request("GET", path)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        assert match, f"{path} has no CSRF token"
        return match.group(1)

    def log_in(self, email: str, password: str) -> tuple[int, dict[str, str]]:
        token = self.token("/login")
        status, headers, _, _ = self.request(
            "POST", "/login", {"csrf_token": token, "email": email, "password": password}
        )
        return status, headers

    def code(self, code: str) -> int:
        token = self.token("/login/code")
        return self.request("POST", "/login/code", {"csrf_token": token, "code": code})[0]
