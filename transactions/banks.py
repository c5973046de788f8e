"""Venezuelan bank codes (Sudeban list), as data: code -> display name.

The validators accept only these codes for `payer_bank_code`; the admin shows the names.
"""

BANKS: dict[str, str] = {
    "0102": "Banco de Venezuela",
    "0104": "Venezolano de Crédito",
    "0105": "Mercantil",
    "0108": "Provincial (BBVA)",
    "0114": "Bancaribe",
    "0115": "Exterior",
    "0128": "Caroní",
    "0134": "Banesco",
    "0137": "Sofitasa",
    "0138": "Plaza",
    "0146": "Bangente",
    "0151": "BFC Fondo Común",
    "0156": "100% Banco",
    "0157": "DelSur",
    "0163": "Banco del Tesoro",
    "0166": "Agrícola de Venezuela",
    "0168": "Bancrecer",
    "0169": "Mi Banco (R4)",
    "0171": "Activo",
    "0172": "Bancamiga",
    "0173": "Internacional de Desarrollo",
    "0174": "Banplus",
    "0175": "Bicentenario del Pueblo",
    "0177": "BANFANB",
    "0178": "N58 Banco Digital",
    "0191": "BNC Nacional de Crédito",
    "0601": "Instituto Municipal de Crédito Popular",
}

# In the BCV's list of codes (and in the manager UI's bank picker) but never a payer's bank: the
# central bank holds no customer accounts. Refused with its own message, not as "unknown".
CENTRAL_BANK_CODE = "0001"

BANESCO_CODE = "0134"


def bank_name(code: str | None) -> str:
    """The bank's name for a code, or "" when unknown."""
    return BANKS.get(code or "", "")
