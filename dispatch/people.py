"""How people's names and phone numbers are shown."""


def display_name(user) -> str:
    """A person's name wherever staff see it (pages, alerts, SMS, the sweep): a Chinese name
    reads family name first, without a space (李强); a Latin one given name first (Ann Lee);
    the username when neither is kept."""
    if user is None:
        return ""
    first, last = user.first_name.strip(), user.last_name.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip() or user.username


def own_phone(user) -> str:
    """The phone a customer calls the engineer back on (R13's visit note): their profile's phone
    where one is kept, else blank, for the engineer to write. Never the 10000 hotline."""
    profile = getattr(user, "profile", None)
    return str(getattr(profile, "phone", "") or "")


def mask_phone(phone) -> str:
    """138****8000: enough for the customer to recognise, not enough to copy."""
    digits = "".join(
        ch for ch in str(getattr(phone, "national_number", phone) or "") if ch.isdigit()
    )
    if len(digits) < 7:
        return digits
    return f"{digits[:3]}****{digits[-4:]}"
