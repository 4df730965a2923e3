"""The recogniser's usual confusions of digits and letters, put right by their neighbours."""

import re


def fix_digit_letter_confusion(text: str) -> str:
    """Zeros read inside words become O ("L0T", "BL0CK"); O, I, l and S inside numbers become
    0, 1 and 5 ("4730O", "28I1", "1S58"); a 5 starting a lowercase word becomes S
    ("5elangor"); 1 inside lowercase words becomes l ("Ja1an").

    A letter between two digits is never meant: addresses write "SS15", "U13/X", never a
    letter inside a lot number or a postcode.
    """
    text = re.sub(r"(?<=[A-Z])0+(?=[A-Z])", lambda m: "O" * len(m[0]), text)
    text = re.sub(r"(?<=\d)[Oo](?=\d|\b)|(?<=\b)[Oo](?=\d)", "0", text)
    text = re.sub(r"(?<=\d)[Il](?=\d)", "1", text)
    text = re.sub(r"(?<=\d)S(?=\d)", "5", text)
    text = re.sub(r"(?<![\dA-Za-z])5(?=[a-z]{3})", "S", text)
    return re.sub(r"(?<=[a-z])1(?=[a-z])", "l", text)
