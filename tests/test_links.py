"""External links: all listed on links.md (offline), and all answering (with LINKCHECK=1).

The second part needs a network and is run by 'make linkcheck'; 'make test' skips it.
"""

import os
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"https?://[^\s)>\"'`]+")
LISTED = set(URL.findall((ROOT / "links.md").read_text()))


def addresses_in_sources():
    """Web addresses the book's pages link to or tell the reader to use."""
    found = {}
    for path in [*sorted((ROOT / "chapters").glob("*.md")), ROOT / "intro.md",
                 ROOT / "glossary.md", ROOT / "execution-report.md"]:
        for url in URL.findall(path.read_text()):
            found.setdefault(url.removesuffix("@main").rstrip(".,"), path.name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    found.setdefault(config["repository"]["url"], "_config.yml")
    found.setdefault(config["launch_buttons"]["colab_url"], "_config.yml")
    from helpers.data import SOURCES
    for source in SOURCES.values():
        found.setdefault(source.url, "helpers/data.py")
    return found


def test_every_external_address_is_listed_on_the_links_page():
    missing = {url: where for url, where in addresses_in_sources().items() if url not in LISTED}
    assert not missing, f"add these to links.md: {missing}"


def network_available():
    try:
        socket.create_connection(("arxiv.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def network():
    if not network_available():
        pytest.fail("no network: the external links cannot be checked here")


@pytest.mark.skipif(os.environ.get("LINKCHECK") != "1",
                    reason="needs a network: 'make linkcheck' (LINKCHECK=1) checks the links")
@pytest.mark.parametrize("url", sorted(LISTED))
def test_listed_address_answers(url, network):
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "link-check"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status < 400
    except urllib.error.HTTPError as error:
        if error.code in (403, 405):  # some servers refuse HEAD or robots; try a GET
            with urllib.request.urlopen(url, timeout=20) as response:
                assert response.status < 400
        else:
            raise
