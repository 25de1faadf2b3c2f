"""Every way the service can refuse a request: the contract's codes, statuses and people's words.

One place for all of them, so a route never invents a code and every code has a message in
Kazakh, Russian and English that says what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"

# code -> (HTTP status, {language: message})
_CATALOGUE: dict[str, tuple[int, dict[str, str]]] = {
    "malformed_request": (400, {
        "kk": "Сұрау дұрыс емес. Бетті жаңартып, қайталап көріңіз.",
        "ru": "Запрос составлен неверно. Обновите страницу и попробуйте ещё раз.",
        "en": "The request is malformed. Reload the page and try again.",
    }),
    "payload_too_large": (413, {
        "kk": "Сұрау тым үлкен (64 КБ-тан асады).",
        "ru": "Запрос слишком большой (больше 64 КБ).",
        "en": "The request is too large (over 64 KiB).",
    }),
    "not_found": (404, {
        "kk": "Мұндай мекенжай жоқ.",
        "ru": "Такого адреса нет.",
        "en": "There is no such address.",
    }),
    "contest_not_found": (404, {
        "kk": "Мұндай байқау жоқ.",
        "ru": "Такого конкурса нет.",
        "en": "There is no such contest.",
    }),
    "receipt_not_found": (404, {
        "kk": "Мұндай түбіртек табылмады. Кодты тексеріп, қайталап көріңіз.",
        "ru": "Такая квитанция не найдена. Проверьте код и попробуйте ещё раз.",
        "en": "No vote has this receipt. Check the code and try again.",
    }),
    "voting_not_open": (403, {
        "kk": "Дауыс беру әлі басталған жоқ. Ашылу уақытында қайта келіңіз.",
        "ru": "Голосование ещё не началось. Возвращайтесь, когда оно откроется.",
        "en": "Voting has not opened yet. Come back when it opens.",
    }),
    "voting_closed": (403, {
        "kk": "Дауыс беру аяқталды. Дауыстар енді қабылданбайды.",
        "ru": "Голосование завершено. Голоса больше не принимаются.",
        "en": "Voting has closed. No more votes are accepted.",
    }),
    "not_an_individual": (403, {
        "kk": "Бұл заңды тұлғаның кілті. Жеке тұлғаның ЭЦҚ-сымен (ҚОЛ ҚОЮ кілті) қол қойыңыз.",
        "ru": "Это ключ юридического лица. Подпишите ЭЦП физического лица (ключ для подписи).",
        "en": "This is a legal entity's key. Sign with a personal (individual) signing key.",
    }),
    "already_voted": (409, {
        "kk": "Сіз бұл байқауда дауыс бердіңіз. Әр адам бір рет қана дауыс береді.",
        "ru": "Вы уже проголосовали в этом конкурсе. Каждый голосует только один раз.",
        "en": "You have already voted in this contest. Everyone votes only once.",
    }),
    "invalid_signature": (422, {
        "kk": "Қолтаңба жарамсыз немесе оның алгоритмі қолдау көрсетілмейді. Қайта қол қойыңыз.",
        "ru": "Подпись недействительна или её алгоритм не поддерживается. Подпишите ещё раз.",
        "en": "The signature is invalid or its algorithm is not supported. Sign again.",
    }),
    "untrusted_certificate": (422, {
        "kk": "Сертификатты ҰКО РК бермеген немесе оны тексеру мүмкін емес. pki.gov.kz кілтін қолданыңыз.",
        "ru": "Сертификат выдан не НУЦ РК или его нельзя проверить. Используйте ключ с pki.gov.kz.",
        "en": "The certificate was not issued by NCA RK or cannot be checked. Use a key from pki.gov.kz.",
    }),
    "certificate_expired": (422, {
        "kk": "Сертификаттың мерзімі өтті. pki.gov.kz сайтында жаңа ЭЦҚ алыңыз.",
        "ru": "Срок действия сертификата истёк. Получите новую ЭЦП на pki.gov.kz.",
        "en": "The certificate has expired. Get a new key at pki.gov.kz.",
    }),
    "certificate_not_yet_valid": (422, {
        "kk": "Сертификат әлі күшіне енген жоқ. Кейінірек қайталаңыз немесе компьютер уақытын тексеріңіз.",
        "ru": "Сертификат ещё не вступил в силу. Повторите позже или проверьте время на компьютере.",
        "en": "The certificate is not valid yet. Try later, or check your computer's clock.",
    }),
    "certificate_revoked": (422, {
        "kk": "Сертификат кері қайтарылған. pki.gov.kz сайтында жаңа ЭЦҚ алыңыз.",
        "ru": "Сертификат отозван. Получите новую ЭЦП на pki.gov.kz.",
        "en": "The certificate has been revoked. Get a new key at pki.gov.kz.",
    }),
    "certificate_not_for_signing": (422, {
        "kk": "Бұл кілт аутентификацияға арналған. ҚОЛ ҚОЮ кілтін (RSA немесе GOST) таңдаңыз.",
        "ru": "Этот ключ для входа (AUTH). Выберите ключ для подписи (RSA или GOST).",
        "en": "This key is for signing in (AUTH). Choose your signing key (RSA or GOST).",
    }),
    "invalid_ballot": (422, {
        "kk": "Бюллетень дұрыс емес немесе мұндай үміткер жоқ. Бетті жаңартып, қайта таңдаңыз.",
        "ru": "Бюллетень неверен или такого кандидата нет. Обновите страницу и выберите снова.",
        "en": "The ballot is invalid or names no such nominee. Reload the page and choose again.",
    }),
    "invalid_challenge": (422, {
        "kk": "Сессия уақыты өтті. Бетті жаңартып, қайта қол қойыңыз.",
        "ru": "Время сеанса истекло. Обновите страницу и подпишите ещё раз.",
        "en": "The session has expired. Reload the page and sign again.",
    }),
    "unavailable": (503, {
        "kk": "Қызмет қазір бос емес. Бір минуттан кейін қайталаңыз — дауысыңыз жоғалмайды.",
        "ru": "Сервис сейчас перегружен. Повторите через минуту — ваш голос не потеряется.",
        "en": "The service is busy. Try again in a minute; your vote will not be lost.",
    }),
    "results_not_ready": (404, {
        "kk": "Қорытынды әлі дайын емес: дауыстар дауыс беру аяқталғаннан кейін саналады.",
        "ru": "Итоги ещё не готовы: голоса подсчитываются после окончания голосования.",
        "en": "The results are not ready yet: votes are counted after voting ends.",
    }),
    "results_not_public": (403, {
        "kk": "Бұл байқаудың қорытындысын тек комиссия көреді.",
        "ru": "Итоги этого конкурса видит только комиссия.",
        "en": "Only the commission sees the results of this contest.",
    }),
    "evidence_too_large": (413, {
        "kk": "Дәлелдер веб арқылы жүктеу үшін тым көп. `manage.py evidence` командасын қолданыңыз.",
        "ru": "Доказательств слишком много для скачивания через веб. Используйте `manage.py evidence`.",
        "en": "The evidence is too large to download over the web. Use `manage.py evidence`.",
    }),
    "invalid_finalists": (422, {
        "kk": "Финалистер кестесінде қателер бар. Әр жолдың қатесі төменде көрсетілген; ештеңе жүктелмеді.",
        "ru": "В таблице финалистов есть ошибки. Ошибка каждой строки указана ниже; ничего не загружено.",
        "en": "The finalists' spreadsheet has errors, listed by line below; nothing was loaded.",
    }),
    "invalid_contest": (422, {
        "kk": "Байқау файлы дұрыс емес немесе оны енді өзгертуге болмайды; ештеңе өзгерген жоқ.",
        "ru": "Файл конкурса неверен или его уже нельзя менять; ничего не изменено.",
        "en": "The contest file is invalid or can no longer be changed; nothing was changed.",
    }),
    "unauthorized": (401, {
        "kk": "Кіру қажет.",
        "ru": "Требуется вход.",
        "en": "Sign-in required.",
    }),
    "forbidden": (403, {
        "kk": "Рұқсат жоқ.",
        "ru": "Доступ запрещён.",
        "en": "Access denied.",
    }),
}

CODES = frozenset(_CATALOGUE)


@dataclass(eq=False)
class Rejection(Exception):
    """A refusal with a contract code. `detail` is for logs and operators, never for the voter's
    identity: it must not carry an IIN, a secret or a token."""

    code: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.code not in _CATALOGUE:
            raise ValueError(f"unknown rejection code {self.code!r}")
        super().__init__(self.code, self.detail)

    @property
    def status(self) -> int:
        return _CATALOGUE[self.code][0]

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        return message_for(self.code, language)


def message_for(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    texts = _CATALOGUE[code][1]
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


def status_for(code: str) -> int:
    return _CATALOGUE[code][0]


def preferred_language(accept_language: str | None) -> str:
    """Pick kk, ru or en from an Accept-Language header by its q-values; ru when none fits."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate(accept_language[:512].split(",")[:20]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0 and quality - position * 1e-6 > best_q:
            best, best_q = tag, quality - position * 1e-6
    return best
