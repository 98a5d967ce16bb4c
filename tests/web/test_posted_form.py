"""The pages' forms are read by ``posted_form`` (the standard library's parse_qsl), exactly as Starlette's own
parser (``Request.form``) reads them, at a fraction of its cost; too large a form is refused as there."""

from __future__ import annotations

import asyncio

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from placebolab.frontends.web.app import FORM_FIELDS, posted_form

URLENCODED = "application/x-www-form-urlencoded"
BODIES = [
    b"key=expectancy&item-relief=4&item-trust=5&csrf=ab12&website=",
    b"name=K%C3%BCbra+%3Cb%3E+%26+Co&age=34",  # UTF-8, plus for space, markup escaped by the browser
    b"item-a=1&item-a=2&item-b=",  # a repeated name (getlist), an empty value
    b"=x&alone&&a=%zz&b=%E2%82&c=;d=1",  # no name, no '=', empty pairs, bad escapes, a semicolon in a value
    "name=Jürgen&city=Köln".encode(),  # raw UTF-8 bytes (a client that does not escape): read as latin-1, as there
    b"",
]


def request(body: bytes, content_type: str = URLENCODED) -> Request:
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    return Request({"type": "http", "method": "POST", "headers": headers, "query_string": b""}, receive)


async def starlettes(posted: Request):
    return await posted.form()


@pytest.mark.parametrize("body", BODIES)
def test_a_form_reads_as_starlettes_parser_reads_it(body):
    ours = asyncio.run(posted_form(request(body)))
    theirs = asyncio.run(starlettes(request(body)))
    assert list(ours.multi_items()) == list(theirs.multi_items())
    assert ours.getlist("item-a") == theirs.getlist("item-a")


def test_a_form_of_another_type_goes_to_starlette():
    form = asyncio.run(posted_form(request(b"key=a", "application/x-www-form-urlencoded; charset=utf-8")))
    assert form["key"] == "a"
    body = b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nconsent\r\n--b--\r\n'
    assert asyncio.run(posted_form(request(body, "multipart/form-data; boundary=b")))["key"] == "consent"


@pytest.mark.parametrize(
    "body", [b"a=" + b"x" * (1024 * 1024), "&".join(f"f{i}=1" for i in range(FORM_FIELDS + 1)).encode()]
)
def test_too_large_a_form_is_refused(body):
    with pytest.raises(HTTPException) as refused:
        asyncio.run(posted_form(request(body)))
    assert refused.value.status_code == 400
