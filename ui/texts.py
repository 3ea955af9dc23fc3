"""The Swedish texts of the officials' tab that are longer than a label."""

from __future__ import annotations

DEFAULT_QUESTION = "Vilken metod för medborgardialog passar oss?"
EXAMPLES = [
    "Vilken metod passar för att nå unga 16–25 år om ett nytt fritidsområde?",
    "Vi är en kommun med 12 000 invånare, har 150 000 kr och tre månader. Hur kan vi låta invånarna prioritera "
    "mellan förslag?",
    "Gör en processplan för ett medborgarråd om vår klimatstrategi med sex månader till beslut.",
    "Vad är skillnaden mellan medborgarbudget och medborgarråd?",
    "Vad kostar en medborgarbudget och hur lång tid tar den?",
]
WELCOME = (
    "### Välkommen till Metodguiden\n"
    "Beskriv er situation eller ställ en fråga om medborgardialog, så föreslår jag metoder och visar "
    "källorna.\n\n"
    "Berätta gärna **vad ni vill uppnå**, **vilka ni vill nå**, **vad invånarna kan påverka** och "
    "**hur mycket tid och pengar** ni har. Du kan också fylla i formuläret *Vad jag har förstått* först."
)
PROFILE_INTRO = (
    "Det här har jag förstått om er situation. Ändra eller fyll i och klicka på **Uppdatera rådet**. "
    "Dina ändringar gäller också för nästa frågor."
)
