"""Headers lxp folds itself decode to exactly the text it meant, under the standard library's
strict parser, on this Python: any subject, any display name, in any language, spaces included;
lines stay within RFC 5322's limits; a long List-Unsubscribe stays a plain address."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from hypothesis import given
from hypothesis import strategies as st

from lxp.channels.mail_headers import MAX_LINE, address_header, one_line, text_header, verbatim_header

WORDS = ["Ваш", "путь", "к", "обучению", "продолжается", "сегодня", "«Роль»", "Präsenztermin", "größere", "Übung",
         "Ihr", "Lernweg", "geht", "weiter", "Reminder:", "your", "next", "step", "—", "a,", "b.", "(c)", '"d"',
         "=?utf-8?q?x?=", "🙂", "x" * 90, "ж" * 40]  # fmt: skip
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
texts = st.lists(st.sampled_from(WORDS) | printable, min_size=1, max_size=40).map(" ".join).map(one_line).filter(bool)


def _round_trip(header, value) -> tuple[EmailMessage, bytes]:
    message = EmailMessage(policy=policy.SMTP)
    message[header] = value
    message.set_content("Hallo")
    raw = message.as_bytes()
    return BytesParser(policy=policy.strict).parsebytes(raw), raw


def _header_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


@given(texts)
def test_any_subject_decodes_exactly_and_folds_within_limits(subject):
    parsed, raw = _round_trip("Subject", text_header("Subject", subject))
    assert str(parsed["Subject"]) == subject
    assert not parsed.defects and not parsed["Subject"].defects
    lines = [line for line in _header_lines(raw) if not line.startswith(b"Content-")]
    # Only an ASCII word longer than a line may pass 78 characters (it cannot be folded).
    assert all(len(line) <= MAX_LINE or b" " not in line.removeprefix(b"Subject: ").strip() for line in lines)
    assert all(len(line) <= 998 for line in lines)


@given(texts)
def test_any_display_name_decodes_exactly(name):
    parsed, raw = _round_trip("To", address_header("To", name, "olga@example.com"))
    (address,) = parsed["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "olga@example.com")
    assert not parsed.defects and not parsed["To"].defects


@given(st.text(max_size=60))
def test_control_characters_and_line_breaks_never_reach_a_header(text):
    subject, name = text_header("Subject", text), address_header("To", text or "x", "o@example.com")
    for header in (subject, name):
        assert "\n" not in header and "\r" not in header and "\x00" not in header
    assert str(subject) == one_line(text)


def test_a_long_list_unsubscribe_stays_a_plain_address_on_one_line():
    url = "<https://learning.example.com/unsubscribe/" + "eyJ1IjoxMjN9.abc_DEF-ghi" * 8 + ">"
    parsed, raw = _round_trip("List-Unsubscribe", verbatim_header("List-Unsubscribe", url))
    assert b"\r\nList-Unsubscribe: " + url.encode() + b"\r\n" in b"\r\n" + raw
    assert parsed["List-Unsubscribe"] == url


def test_a_one_line_header_refuses_what_would_break_it():
    for bad in ("<https://a.example/\r\nBcc: x@example.com>", "<https://ä.example/>", "<" + "x" * 1000 + ">"):
        try:
            verbatim_header("List-Unsubscribe", bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")
