"""A second factor: a code from an authenticator app (TOTP, RFC 6238, through django-otp).

A user turns it on from their account page: the portal offers a new secret (kept in the session
until it is confirmed, so merely opening the page writes nothing), shows it as a QR code drawn
here as inline SVG and as base32 text, and keeps it once the user has typed a code it produced.
From then on a password alone leaves the session unverified, and ``SecondFactorMiddleware``
(portal/security.py) sends it to the code page until a code verifies it.

The functions that write are the actions of this topic: views call them and nothing else writes
a device.
"""

import time
import xml.etree.ElementTree as ET
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from portal.models import User

OFFERED_KEY = "portal_totp_offered_key"  # session key of the secret offered, not yet confirmed
DEVICE_NAME = "Authenticator app"


class CodeForm(forms.Form):
    """The six digits an authenticator app shows (spaces allowed, as apps group them)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        help_text=_("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, autofocus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autofocus:  # only where the code is all the page asks for
            self.fields["code"].widget.attrs["autofocus"] = True

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6 digits of the code."))
        return code


def has_device(user: AbstractBaseUser) -> bool:
    """Whether the user has turned the second factor on (a confirmed device)."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def offered_device(user: User, session: SessionBase) -> TOTPDevice:
    """The device the setup page offers: unsaved, its secret kept in the session until
    confirmed, so a reload shows the same QR code."""
    key = session.get(OFFERED_KEY)
    if not key:
        key = session[OFFERED_KEY] = random_hex(20)
    return TOTPDevice(user=user, name=DEVICE_NAME, key=key, confirmed=True)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for apps that take it typed."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(data: str) -> str:
    """``data`` as a QR code in inline SVG: drawn here, no script, no style attribute (CSP)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    svg = image.get_image()
    for size in ("width", "height"):  # sized by the stylesheet
        svg.attrib.pop(size, None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("aria-label", str(_("QR image of the secret, for your authenticator app to scan")))
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    return ET.tostring(svg, encoding="unicode")


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    """The time step at which ``code`` is valid for ``device`` (within its tolerance), or None."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.verify(int(code), device.tolerance, device.last_t + 1):
        return int(totp.t())
    return None


WRONG_CODE = _("That code is not right, or has been used already. Enter the newest code.")
WAIT = _("Too many wrong codes. Wait a minute, then enter the newest code.")


def enable(user: User, session: SessionBase, code: str) -> TOTPDevice:
    """Keep the offered secret as the user's device, since ``code`` proves the app has it.

    Raises ValidationError (for the code) when it does not match; nothing is written then.
    """
    device = offered_device(user, session)
    step = _matching_step(device, code)
    if step is None:
        raise ValidationError(
            _("That code does not match. Check the time on your phone and enter the newest code.")
        )
    with transaction.atomic():
        # One device, even on a double submit (NO KEY: audit rows referring to the user pass).
        User.objects.select_for_update(no_key=True).get(pk=user.pk)
        TOTPDevice.objects.filter(user=user).delete()
        device.last_t = step  # the code just used cannot log in a second time
        device.save()
    del session[OFFERED_KEY]
    return device


def verify(user: AbstractBaseUser, code: str) -> TOTPDevice:
    """The user's device, since ``code`` is its current code; else ValidationError.

    django-otp throttles wrong codes (each failure doubles the wait before the next try) and
    never accepts one code twice; the row lock keeps two concurrent tries from both passing.
    """
    with transaction.atomic():  # commits the failure count too: nothing is raised inside
        device = (
            TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).first()
        )
        if device is None:
            error = _("Two-factor authentication is not on.")
        elif not device.verify_is_allowed()[0]:
            error = WAIT
        elif not device.verify_token(code):
            error = WRONG_CODE
        else:
            return device
    raise ValidationError(error)


def disable(user: AbstractBaseUser) -> None:
    """Turn the second factor off: every device of the user goes."""
    TOTPDevice.objects.filter(user_id=user.pk).delete()
