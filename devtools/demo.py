"""The demo contest of the local stack, modelled on the Ministry of Labour's "best social worker"
contest: seven nominations, fictional finalists from every kind of region, open now for five days
(Astana time). All people, organisations and contacts here are invented.

It should read as real to a Kazakh reader: a surname agrees with the person's gender (Оспанов
Марат, Оспанова Айгүл; Ким, Ли and Сейтқали are the same for both), regions carry their official
names in each language (область Жетісу / Жетісу облысы / Zhetysu Region, since 2022), organisations
and descriptions are in the page's language, and Russian counts take their plural forms.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.voting.clock import ASTANA

DEMO_ID = "best-social-worker-demo"

NOMINATIONS = [
    ("home-care",
     "Үйде қызмет көрсету ұйымының үздік әлеуметтік қызметкері",
     "Лучший социальный работник организации надомного обслуживания",
     "Best social worker of a home-care organisation"),
    ("residential",
     "Стационарлық ұйымның үздік әлеуметтік қызметкері",
     "Лучший социальный работник стационарной организации",
     "Best social worker of a residential care home"),
    ("day-care",
     "Күндізгі болу орталығының үздік әлеуметтік қызметкері",
     "Лучший социальный работник центра дневного пребывания",
     "Best social worker of a day-care centre"),
    ("health",
     "Денсаулық сақтау саласындағы үздік әлеуметтік қызметкер",
     "Лучший социальный работник в сфере здравоохранения",
     "Best social worker in health care"),
    ("education",
     "Білім беру саласындағы үздік әлеуметтік қызметкер",
     "Лучший социальный работник в сфере образования",
     "Best social worker in education"),
    ("employment",
     "Жұмыспен қамту орталығының үздік әлеуметтік қызметкері",
     "Лучший социальный работник центра занятости населения",
     "Best social worker of an employment centre"),
    ("family",
     "Отбасылар мен балаларға қызмет көрсететін үздік маман",
     "Лучший специалист по работе с семьями и детьми",
     "Best specialist working with families and children"),
]

# The official names (the three cities of republican significance and the 17 regions since 2022),
# as {kk, ru, en}.
REGIONS: list[dict[str, str]] = [
    {"kk": "Астана қаласы", "ru": "город Астана", "en": "Astana"},
    {"kk": "Алматы қаласы", "ru": "город Алматы", "en": "Almaty"},
    {"kk": "Шымкент қаласы", "ru": "город Шымкент", "en": "Shymkent"},
    {"kk": "Абай облысы", "ru": "область Абай", "en": "Abai Region"},
    {"kk": "Ақмола облысы", "ru": "Акмолинская область", "en": "Akmola Region"},
    {"kk": "Ақтөбе облысы", "ru": "Актюбинская область", "en": "Aktobe Region"},
    {"kk": "Алматы облысы", "ru": "Алматинская область", "en": "Almaty Region"},
    {"kk": "Атырау облысы", "ru": "Атырауская область", "en": "Atyrau Region"},
    {"kk": "Шығыс Қазақстан облысы", "ru": "Восточно-Казахстанская область", "en": "East Kazakhstan Region"},
    {"kk": "Жамбыл облысы", "ru": "Жамбылская область", "en": "Zhambyl Region"},
    {"kk": "Жетісу облысы", "ru": "область Жетісу", "en": "Zhetysu Region"},
    {"kk": "Батыс Қазақстан облысы", "ru": "Западно-Казахстанская область", "en": "West Kazakhstan Region"},
    {"kk": "Қарағанды облысы", "ru": "Карагандинская область", "en": "Karaganda Region"},
    {"kk": "Қостанай облысы", "ru": "Костанайская область", "en": "Kostanay Region"},
    {"kk": "Қызылорда облысы", "ru": "Кызылординская область", "en": "Kyzylorda Region"},
    {"kk": "Маңғыстау облысы", "ru": "Мангистауская область", "en": "Mangystau Region"},
    {"kk": "Павлодар облысы", "ru": "Павлодарская область", "en": "Pavlodar Region"},
    {"kk": "Солтүстік Қазақстан облысы", "ru": "Северо-Казахстанская область", "en": "North Kazakhstan Region"},
    {"kk": "Түркістан облысы", "ru": "Туркестанская область", "en": "Turkistan Region"},
    {"kk": "Ұлытау облысы", "ru": "область Ұлытау", "en": "Ulytau Region"},
]

ORGANIZATIONS: list[dict[str, str]] = [
    {"kk": "Аумақтық әлеуметтік қызмет көрсету орталығы", "ru": "Территориальный центр социального обслуживания",
     "en": "Territorial social services centre"},
    {"kk": "Арнаулы әлеуметтік қызметтер көрсету орталығы", "ru": "Центр оказания специальных социальных услуг",
     "en": "Special social services centre"},
    {"kk": "Қарттар мен мүгедектігі бар адамдарға арналған медициналық-әлеуметтік мекеме",
     "ru": "Дом-интернат для престарелых и лиц с инвалидностью",
     "en": "Care home for older people and people with disabilities"},
    {"kk": "Халықты жұмыспен қамту орталығы", "ru": "Центр занятости населения", "en": "Employment centre"},
    {"kk": "Отбасын қолдау орталығы", "ru": "Центр поддержки семьи", "en": "Family support centre"},
    {"kk": "Қалалық емхана", "ru": "Городская поликлиника", "en": "City outpatient clinic"},
    {"kk": "Арнаулы мектеп-интернат", "ru": "Специальная школа-интернат", "en": "Special boarding school"},
]

# (male, female) first names; Kazakh, Russian and Korean families of Kazakhstan.
KAZAKH_GIVEN = (["Марат", "Ерлан", "Бауыржан", "Нұрлан", "Санжар", "Тимур", "Арман", "Дәурен", "Асхат", "Қайрат",
                 "Ержан", "Серік"],
                ["Айгүл", "Гүлнар", "Сәуле", "Дина", "Әсел", "Жанар", "Алия", "Мадина", "Камила", "Динара",
                 "Ақмарал", "Гүлмира"])
RUSSIAN_GIVEN = (["Андрей", "Сергей", "Дмитрий", "Алексей", "Виктор", "Николай"],
                 ["Елена", "Ольга", "Ирина", "Людмила", "Наталья", "Татьяна"])
# A surname stem takes -а for a woman (Оспанов → Оспанова); a name without a gender form stays.
KAZAKH_SURNAMES = ["Оспанов", "Жұмабаев", "Абдрахманов", "Нұрғалиев", "Искаков", "Ахметов", "Садықов", "Беков",
                   "Омаров", "Төлегенов", "Смағұлов", "Қасымов", "Сәрсенбаев", "Мұхамеджанов"]
KAZAKH_UNGENDERED = ["Сейтқали", "Жақсылық"]
RUSSIAN_SURNAMES = ["Петров", "Кузнецов", "Смирнов", "Волков", "Захаров"]
KOREAN_SURNAMES = ["Ким", "Ли", "Пак", "Цой"]


def person_name(number: int) -> str:
    """A fictional finalist's name, «Surname Given», its parts agreeing in gender."""
    woman = number % 2 == 1
    family = number % 20
    if family < 13:  # most finalists are Kazakh
        given = KAZAKH_GIVEN[woman][(number // 2) % len(KAZAKH_GIVEN[woman])]
        stems = KAZAKH_SURNAMES + KAZAKH_UNGENDERED
        stem = stems[(number * 7) % len(stems)]
        surname = stem + "а" if woman and stem in KAZAKH_SURNAMES else stem
    elif family < 17:
        given = RUSSIAN_GIVEN[woman][(number // 2) % len(RUSSIAN_GIVEN[woman])]
        stem = RUSSIAN_SURNAMES[(number * 3) % len(RUSSIAN_SURNAMES)]
        surname = stem + "а" if woman else stem
    else:
        given = RUSSIAN_GIVEN[woman][(number // 2 + 3) % len(RUSSIAN_GIVEN[woman])]
        surname = KOREAN_SURNAMES[number % len(KOREAN_SURNAMES)]
    return f"{surname} {given}"


def region(number: int) -> dict[str, str]:
    return REGIONS[(number * 7) % len(REGIONS)]


def organization(number: int) -> dict[str, str]:
    """An organisation with its number as each language writes it: «№8 қалалық емхана»,
    «Городская поликлиника №8», «City outpatient clinic No. 8»."""
    kind = ORGANIZATIONS[number % len(ORGANIZATIONS)]
    n = number % 9 + 1
    return {"kk": f"№{n} {kind['kk'][0].lower()}{kind['kk'][1:]}", "ru": f"{kind['ru']} №{n}",
            "en": f"{kind['en']} No. {n}"}


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian form for a count: 1 год, 2 года, 5 лет, 11 лет, 21 год, 22 года."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def description(years: int, where: dict[str, str]) -> dict[str, str]:
    return {
        "kk": f"Еңбек өтілі — {years} жыл. Қарт адамдар мен отбасыларға көмектеседі ({where['kk']}).",
        "ru": f"Стаж {years} {russian_plural(years, 'год', 'года', 'лет')}. Помогает пожилым людям и семьям "
              f"({where['ru']}).",
        "en": f"{years} {'year' if years == 1 else 'years'} of service. Helps older people and families "
              f"({where['en']}).",
    }


def demo_about(now: datetime) -> dict[str, Any]:
    """Who runs the demo and what it keeps: the organiser, the rules, the personal-data notice as
    the service works (sealed evidence), and a help contact."""
    keep_until = now.astimezone(ASTANA).year + 1
    return {
        "organiser": {
            "kk": "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрлігі (демо)",
            "ru": "Министерство труда и социальной защиты населения Республики Казахстан (демо)",
            "en": "Ministry of Labour and Social Protection of the Population of Kazakhstan (demo)",
        },
        "rules_url": {"kk": "https://www.gov.kz/memleket/entities/enbek?lang=kk",
                      "ru": "https://www.gov.kz/memleket/entities/enbek?lang=ru",
                      "en": "https://www.gov.kz/memleket/entities/enbek?lang=en"},
        "personal_data": {
            "kk": "Не сақталады: дауысыңыз (үміткер мен уақыт) және түбіртек коды. ЖСН орнына одан ЖСН-ді қалпына "
                  "келтіруге болмайтын кілттік хеш сақталады. ЭЦҚ сертификаты бар қол қойылған бюллетень (аты-жөні, "
                  "ЖСН) тек шифрланған күйде сақталады: оны қорытындыны тексеру үшін тек комиссия өз кілтімен аша "
                  f"алады. Қанша уақыт: {keep_until} жылғы 31 желтоқсанға дейін, содан кейін дауыстар мен комиссия "
                  "кілті жойылады. Кім көреді: қорытындыны — барлығы (санап шыққаннан кейін); кім кімге дауыс "
                  "бергенін — аудит кезіндегі комиссиядан басқа ешкім.",
            "ru": "Что хранится: ваш голос (кандидат и время) и код квитанции. Вместо ИИН хранится ключевой хеш, по "
                  "которому ИИН восстановить нельзя. Подписанный бюллетень с сертификатом ЭЦП (ФИО, ИИН) хранится "
                  "только в зашифрованном виде: открыть его может лишь комиссия своим ключом, чтобы проверить итоги. "
                  f"Как долго: до 31 декабря {keep_until} г., затем голоса и ключ комиссии уничтожаются. Кто видит: "
                  "итоги — все (после подсчёта); кто за кого голосовал — никто, кроме комиссии при аудите.",
            "en": "What is kept: your vote (the candidate and the time) and its receipt code. Instead of your IIN a "
                  "keyed hash is kept, from which the IIN cannot be recovered. The signed ballot with your "
                  "certificate (name, IIN) is kept only encrypted: only the commission can open it, with its own "
                  f"key, to audit the result. For how long: until 31 December {keep_until}; then the votes and the "
                  "commission's key are destroyed. Who sees it: the results, everyone (once counted); who voted "
                  "for whom, nobody but the commission in its audit.",
        },
        "help": {"phone": "+7 7172 00 00 00", "email": "konkurs@example.kz",
                 "hours": {"kk": "дүйсенбі–жұма, 9:00–18:00 (Астана уақыты)",
                           "ru": "пн–пт, 9:00–18:00 по Астане",
                           "en": "Mon–Fri, 9:00–18:00 Astana time"}},
    }


def demo_contest(now: datetime, nominees_per_nomination: int = 4) -> dict:
    """The contest file of the demo: opens at the start of the current Astana hour, five days."""
    opens = now.astimezone(ASTANA).replace(minute=0, second=0, microsecond=0)
    nominations = []
    counter = 0
    for index, (nomination_id, kk, ru, en) in enumerate(NOMINATIONS):
        nominees = []
        for j in range(nominees_per_nomination + index % 3):
            counter += 1
            where = region(counter)
            nominees.append({
                "id": f"{nomination_id}-{j + 1:03d}",
                "name": person_name(counter),
                "region": where,
                "organization": organization(counter),
                "description": description(10 + counter % 20, where),
            })
        nominations.append({"id": nomination_id, "title": {"kk": kk, "ru": ru, "en": en}, "nominees": nominees})
    return {
        "id": DEMO_ID,
        "title": {
            "kk": "«Үздік әлеуметтік қызметкер» республикалық байқауы (демо)",
            "ru": "Республиканский конкурс «Лучший социальный работник» (демо)",
            "en": "National contest “Best social worker” (demo)",
        },
        "opens_at": opens.isoformat(),
        "closes_at": (opens + timedelta(days=5)).isoformat(),
        "results_visibility": "public",
        **demo_about(now),
        "nominations": nominations,
    }
