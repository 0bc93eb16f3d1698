"""Every string the code shows is translated into German and Russian, placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def source_messages():
    messages = _source_messages()
    assert len(messages) > 100  # the extraction itself worked
    return messages


@pytest.mark.parametrize("locale", ["de", "ru"])
def test_catalogue_translates_every_string_in_the_code(source_messages, locale):
    with open(ROOT / f"lxp/translations/{locale}/LC_MESSAGES/messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        translated[key] = message
    missing = sorted(source_messages - set(translated))
    assert not missing, f"not in the {locale} catalogue (run `make messages` and translate): {missing}"
    for key in source_messages:
        message = translated[key]
        assert not message.fuzzy, f"fuzzy in {locale}: {key!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(key))
        for string in strings:
            assert string, f"untranslated in {locale}: {key!r}"
            assert set(PLACEHOLDER.findall(string)) == expected, f"placeholders differ in {locale}: {key!r}"


# The German catalogue speaks to everyone, learners included, with the formal "Sie", as a
# company's software does: a page that mixes "Sie" and "du" reads as careless.
INFORMAL_GERMAN = re.compile(
    r"\b(?:[dD]u|[dD]ich|[dD]ir|[dD]ein(?:e|en|em|er|es)?|[eE]uch|[eE]uer|[eE]ur(?:e|en|em|er|es))\b"
)


def test_german_addresses_every_reader_formally():
    with open(ROOT / "lxp/translations/de/LC_MESSAGES/messages.po", "rb") as po:
        catalogue = read_po(po)
    informal = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        informal += [string for string in strings if message.id and string and INFORMAL_GERMAN.search(string)]
    assert not informal, f"German with du/dein/euch instead of Sie/Ihr: {informal}"
