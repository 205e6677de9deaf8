"""The customer's signature (R23, R24): bounded input, drawn by Pillow outside the signing
transaction. A payload at every bound renders; one past any bound is refused with a sentence."""

import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from dispatch.errors import RuleViolation
from surveys import services, signature
from surveys.models import LinkChannel, SurveyResponse
from surveys.services import signing
from tests.surveys.factories import GOOD_ANSWERS, strokes

BASE = "https://dispatch.example.cn/"


def maximal(points=signature.MAX_POINTS, count=signature.MAX_STROKES, width=2000, height=2000):
    """The worst payload the bounds let through: every stroke zigzags across the widest pad, every
    number at its widest (what took a minute of CPU with the old pure-Python drawing)."""
    per, extra = divmod(points, count)
    out = []
    for s in range(count):
        n = per + (1 if s < extra else 0)
        pts = [
            [1999.9 if i % 2 else 0.1, round((s * 37 + i * 13) % 1999 + 0.9, 1), 899_999]
            for i in range(n)
        ]
        out.append({"type": "touch", "points": pts})
    return {"width": width, "height": height, "strokes": out}


def pad_json(data) -> str:
    """What the pad posts (JSON.stringify: no spaces)."""
    return json.dumps(data, separators=(",", ":"))


def pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_largest_valid_signature_fits_the_byte_bound_and_renders():
    raw = pad_json(maximal())
    assert len(raw.encode()) <= signature.MAX_BYTES
    clean = signature.clean_strokes(raw)
    assert sum(len(s["points"]) for s in clean["strokes"]) == signature.MAX_POINTS
    image = pixels(signature.render_png(clean))
    assert image.format == "PNG"
    assert image.size == (800, 800)  # the widest pad, scaled to 800 px
    assert image.mode == "L"
    histogram = image.histogram()
    assert histogram[0] > 0 and histogram[255] > 0  # ink on paper


def test_the_png_shows_the_strokes_where_they_were_drawn():
    line = {"type": "pen", "points": [[20 + i * 10, 100, i * 10] for i in range(29)]}
    clean = signature.clean_strokes({"width": 320, "height": 200, "strokes": [line]})
    image = pixels(signature.render_png(clean))
    assert image.size == (320, 200)
    assert image.getpixel((150, 100)) == 0  # on the line
    assert image.getpixel((20, 100)) == 0  # its round start
    assert image.getpixel((150, 110)) == 255  # beside it
    assert image.getpixel((5, 5)) == 255


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(maximal(points=signature.MAX_POINTS + 1), id="one point too many"),
        pytest.param(maximal(count=signature.MAX_STROKES + 1), id="one stroke too many"),
    ],
)
def test_one_past_a_bound_is_refused_with_a_sentence(payload):
    with pytest.raises(RuleViolation) as exc:
        signature.clean_strokes(pad_json(payload))
    assert exc.value.code == "invalid_signature"
    assert exc.value.field == "signature"
    assert "签名框" in exc.value.message  # "longer than the pad allows", in the customer's words


def test_more_bytes_than_any_signature_is_refused_before_it_is_parsed():
    raw = pad_json(strokes()) + " " * signature.MAX_BYTES
    with pytest.raises(RuleViolation) as exc:
        signature.clean_strokes(raw)
    assert exc.value.code == "invalid_signature"
    assert "签名框" in exc.value.message


@pytest.mark.parametrize("raw", ["{", "[" * 100_000, '"just a string"', ""])
def test_unreadable_json_is_a_signature_error_not_a_crash(raw):
    with pytest.raises(RuleViolation) as exc:
        signature.clean_strokes(raw)
    assert exc.value.code == "invalid_signature"


@pytest.mark.django_db
class TestSigning:
    def _token(self, visit, engineer):
        return services.issue_link(
            actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url=BASE
        ).token

    def _sign(self, token, anonymous, raw):
        return services.sign_survey(
            actor=anonymous,
            token=token,
            answers=dict(GOOD_ANSWERS),
            work_order_confirmed=True,
            strokes=raw,
        )

    def test_the_largest_valid_signature_is_signed_and_stored(self, visit, engineer, anonymous):
        response = self._sign(self._token(visit, engineer), anonymous, pad_json(maximal()))
        assert pixels(bytes(response.signature_png)).size == (800, 800)
        points = sum(len(s["points"]) for s in response.signature_strokes["strokes"])
        assert points == signature.MAX_POINTS

    def test_an_oversized_signature_writes_nothing(self, visit, engineer, anonymous):
        token = self._token(visit, engineer)
        with pytest.raises(RuleViolation) as exc:
            self._sign(token, anonymous, pad_json(maximal(points=signature.MAX_POINTS + 1)))
        assert exc.value.field == "signature"
        assert not SurveyResponse.objects.exists()

    def test_the_signature_is_drawn_before_any_lock_is_taken(
        self, visit, engineer, anonymous, monkeypatch
    ):
        """Drawing costs CPU: it happens before the signing transaction opens, so no row of
        the ticket, visit or link is held meanwhile (the test's own transaction is the outer
        block, so 'no lock' reads as 'no savepoint of the service is open yet')."""
        depth_when_drawing = []
        render = signing.render_png

        def spy(clean):
            depth_when_drawing.append(len(connection.savepoint_ids))
            return render(clean)

        monkeypatch.setattr(signing, "render_png", spy)
        token = self._token(visit, engineer)
        depth = len(connection.savepoint_ids)
        self._sign(token, anonymous, pad_json(strokes()))
        assert depth_when_drawing == [depth]


@pytest.mark.django_db
def test_the_pad_knows_the_bounds(visit, engineer):
    token = services.issue_link(
        actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url=BASE
    ).token
    page = Client().get(reverse("surveys:customer", kwargs={"token": token}))
    assert f'data-max-points="{signature.MAX_POINTS}"' in page.content.decode()
    assert f'data-max-strokes="{signature.MAX_STROKES}"' in page.content.decode()


@pytest.mark.django_db
def test_an_oversized_signature_on_the_page_is_an_error_next_to_the_pad(visit, engineer):
    token = services.issue_link(
        actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url=BASE
    ).token
    data = {f"q_{code}": str(value) for code, value in GOOD_ANSWERS.items()}
    data.update(action="sign", confirm="on", signature=pad_json(maximal(points=9000)))
    response = Client().post(reverse("surveys:customer", kwargs={"token": token}), data)
    assert response.status_code == 400
    assert "签名超出签名框允许的长度" in response.content.decode()
    assert not SurveyResponse.objects.exists()
