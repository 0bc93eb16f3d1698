"""Where lxp may send statements: public addresses only, unless the operator allows more.

An admin types the LRS's address; without a check it could point the server at itself or at
its network (a database port, a cloud metadata service): server-side request forgery. A host
is refused when it is, or resolves to, a loopback, private, link-local, multicast, reserved
or unspecified address (IPv4 or IPv6, an IPv4 address inside IPv6 included). It is checked
when the address is saved and again on every connection, which goes to the very address that
was checked, since DNS can answer differently later. ``LXP_LRS_ALLOW_PRIVATE`` lifts the rule
for an LRS inside one's own network (and for the tests' local LRS).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request


class RefusedAddress(OSError):
    """The host is, or resolves to, an address lxp does not send to."""


def is_refused(address: str) -> bool:
    """Whether lxp refuses to connect to this IP address (text, IPv4 or IPv6)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_refused(str(embedded)):
            return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )  # fmt: skip  (not global: e.g. 100.64.0.0/10)


def resolve(host: str, port: int, *, allow_private: bool) -> list[tuple]:
    """The socket addresses ``host`` resolves to now, all of them allowed. Raises
    ``RefusedAddress`` when any is refused (unless ``allow_private``), ``OSError`` when the
    host cannot be resolved."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not allow_private:
        for *_rest, sockaddr in infos:
            if is_refused(sockaddr[0]):
                raise RefusedAddress(f"{host} is at {sockaddr[0]}, an internal address; lxp does not send there")
    return infos


def _checked_connection(allow_private: bool):
    def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        host, port = address
        error: OSError | None = None
        for family, kind, proto, _name, sockaddr in resolve(host, port, allow_private=allow_private):
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)  # the address just checked, not a second lookup
                return sock
            except OSError as failed:
                sock.close()
                error = failed
        raise error or OSError(f"no address for {host}")

    return create_connection


def opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection (redirects included) goes only to checked
    addresses, and never through a proxy from the environment."""
    connect = _checked_connection(allow_private)

    class Http(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class Https(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(Https, req, context=self._context)

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), HttpHandler(), HttpsHandler())
